"""`territorial worker`: runs the jobs submitted while Redis is configured, in a process of its own."""

from __future__ import annotations

import signal
from types import FrameType
from typing import Annotated

import typer
from rich.markup import escape

from territorial.cli.app import app, err, handled, workspace_of
from territorial.errors import BadInput
from territorial.services.settings import load_settings
from territorial.services.worker import JobWorker, job_queue


def _interrupted(_signal: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # a SIGTERM (systemd, docker stop) ends as Ctrl+C does


@app.command("worker")
@handled
def worker(
    ctx: typer.Context,
    concurrency: Annotated[
        int | None,
        typer.Option("--concurrency", help="Jobs run at once (default 2, or job_workers)."),
    ] = None,
) -> None:
    """Run background jobs from the Redis queue (redis_url) until interrupted. Start as many as you
    like, on any machine that reaches the workspace and Redis: each job runs once. Ctrl+C or SIGTERM
    stops it; its running jobs stop at their next progress point, marked interrupted."""
    settings = load_settings()
    at_once = concurrency if concurrency is not None else settings.job_workers
    if not 1 <= at_once <= 32:
        raise BadInput.at(f"expected 1 to 32 jobs at a time, got {at_once}", "--concurrency")
    queue = job_queue(settings)
    running = JobWorker(
        workspace_of(ctx),
        queue,
        at_once,
        settings.queue_lost_after,
        told=lambda said: err.print(escape(said), highlight=False, soft_wrap=True),
    )
    err.print(
        f"worker {running.name} runs up to {at_once} job(s) at a time from {queue.url} ({queue.key});"
        " Ctrl+C stops it",
        highlight=False,
    )
    signal.signal(signal.SIGTERM, _interrupted)
    try:
        running.start().run()
    except KeyboardInterrupt:
        pass
    finally:
        running.stop()
        err.print(f"worker {running.name} stopped", highlight=False)
