"""How long-running work reports how far it has got: `progress(stage, fraction)`, the fraction from
0 to 1. The CLI draws it as a bar (cli/progress.py); callers that show nothing pass `silent`."""

from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[str, float], None]


def silent(_stage: str, _fraction: float) -> None:
    return None
