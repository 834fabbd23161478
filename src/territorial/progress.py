"""How long-running work reports how far it has got: `progress(stage, fraction)`, the stage in words
and the fraction from 0 to 1, or None when the stage cannot say. The CLI draws it (cli/progress.py);
callers that show nothing pass `silent`."""

from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[str, float | None], None]


def silent(_stage: str, _fraction: float | None = None) -> None:
    return None
