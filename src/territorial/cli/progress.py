"""A rich progress display for work that reports itself as `progress(stage, fraction)`."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from territorial.progress import Progress as ReportProgress


@contextmanager
def stage_bar(console: Console) -> Iterator[ReportProgress]:
    """The callback that moves the display: the stage's name, a bar when the stage knows how far it
    has got (a pulse when it does not), and the time taken. It disappears when the block ends.
    When stderr is a file or a pipe (a log), each stage is one plain line instead."""
    if not console.is_terminal:
        yield _plain_lines(console)
        return
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task("Starting…", total=None)

        def progress(stage: str, fraction: float | None) -> None:
            description = stage if stage.endswith("…") else f"{stage}…"
            if fraction is None:
                bar.update(task, description=description, total=None, completed=0)
            else:
                bar.update(task, description=description, total=1.0, completed=fraction)

        yield progress


def _plain_lines(console: Console) -> ReportProgress:
    """Each new stage as a line with the seconds since the start: what a log can keep."""
    started = time.monotonic()
    last: list[str] = []

    def progress(stage: str, _fraction: float | None) -> None:
        description = stage if stage.endswith("…") else f"{stage}…"
        if not last or last[-1] != description:
            last.append(description)
            console.print(
                f"[{time.monotonic() - started:6.1f}s] {description}", highlight=False, markup=False
            )

    return progress
