"""A rich progress bar for work that reports itself as `progress(stage, fraction)`."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from territorial.progress import Progress as ReportProgress


@contextmanager
def stage_bar(console: Console) -> Iterator[ReportProgress]:
    """The callback that moves the bar; the bar disappears when the block ends."""
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task("Starting", total=1.0)

        def progress(stage: str, fraction: float) -> None:
            bar.update(task, description=stage, completed=fraction)

        yield progress
