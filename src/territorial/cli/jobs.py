"""`territorial jobs` (the background jobs: list, show, cancel) and `territorial scheduler run`."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.markup import escape

from territorial.cli.app import console, context_of, err, group, handled, workspace_of
from territorial.cli.overrides import listing
from territorial.domain.jobs import JobState, StoredJob
from territorial.errors import BadInput
from territorial.services.jobs import cancel_job, job, list_jobs
from territorial.services.scheduler import Round, Scheduler
from territorial.services.settings import load_settings

jobs_app = group("jobs", "Background jobs (assign, import, route, train, review): progress, result, cancel.")
scheduler_app = group("scheduler", "Due activations, expiries and the outbox, on a schedule.")


# A queued job with no runner waits in the Redis queue (redis_url) for any worker to claim it.
WAITING = "none yet: waiting for a `territorial worker`"


def _progress(found: StoredJob) -> str:
    return "" if found.progress is None else f"{found.progress:.0%}"


@jobs_app.command("list")
@handled
def jobs_list(
    ctx: typer.Context,
    state: Annotated[
        list[JobState] | None,
        typer.Option("--state", help="Only jobs in this state (repeatable).", case_sensitive=False),
    ] = None,
    limit: Annotated[int, typer.Option("--limit", help="The newest this many.", min=1)] = 50,
) -> None:
    """The newest jobs first: their state, progress and who submitted them."""
    found = list_jobs(workspace_of(ctx), context_of(ctx), state or (), limit)
    rows = [
        (j.job_id, j.kind, j.state.value, _progress(j), j.message, j.submitted_by, j.created_at)
        for j in found
    ]
    listing("Jobs", ["id", "kind", "state", "progress", "stage", "by", "submitted"], rows)


@jobs_app.command("show")
@handled
def jobs_show(ctx: typer.Context, job_id: Annotated[int, typer.Argument(metavar="ID")]) -> None:
    """One job: its parameters, progress, result or error, and its times."""
    found = job(workspace_of(ctx), context_of(ctx), job_id)
    lines = [
        ("job", f"{found.job_id} ({found.kind})"),
        ("state", found.state.value + (" (cancel requested)" if found.cancel_requested else "")),
        ("progress", " ".join(p for p in (_progress(found), found.message) if p)),
        ("parameters", json.dumps(found.parameters, sort_keys=True)),
        ("result", None if found.result is None else json.dumps(found.result, sort_keys=True)),
        ("error", found.error),
        ("submitted", f"{found.created_at} by {found.submitted_by}"),
        ("started", found.started_at),
        ("finished", found.finished_at),
        ("heartbeat", found.heartbeat_at),
        ("runner", found.runner or (WAITING if found.state is JobState.QUEUED else None)),
    ]
    for name, value in lines:
        if value not in (None, ""):
            console().print(f"{name}: {escape(str(value))}", highlight=False, soft_wrap=True)


@jobs_app.command("cancel")
@handled
def jobs_cancel(ctx: typer.Context, job_id: Annotated[int, typer.Argument(metavar="ID")]) -> None:
    """Ask a job to stop: a queued one is cancelled now, a running one within 5 s, nothing half-written."""
    found = cancel_job(workspace_of(ctx), context_of(ctx), job_id)
    if found.state is JobState.CANCELLED:
        err.print(f"job {job_id} cancelled", highlight=False)
    else:
        err.print(f"job {job_id} asked to stop; it stops at its next progress point", highlight=False)


@scheduler_app.command("run")
@handled
def scheduler_run(
    ctx: typer.Context,
    once: Annotated[bool, typer.Option("--once", help="One round, then exit.")] = False,
    every: Annotated[
        float | None,
        typer.Option("--every", help="Seconds between rounds (default 60, or scheduler_every)."),
    ] = None,
) -> None:
    """Apply what is due (as `tick`) and send the outbox (as `notify`) every so often, until
    interrupted. Several may run: only the one holding the workspace's scheduler lease acts."""
    seconds = every if every is not None else load_settings().scheduler_every
    if not seconds >= 1:
        raise BadInput.at(f"expected at least 1 second between rounds, got {seconds:g}", "--every")
    scheduler = Scheduler(workspace_of(ctx), seconds, context=lambda: context_of(ctx))
    if once:
        _said(scheduler.run_once())
        scheduler.stop()
        return
    err.print(f"the scheduler runs every {seconds:g} s; Ctrl+C stops it", highlight=False)
    last: list[Round] = []

    def said_when_new(done: Round) -> None:
        """A round that did nothing new is not said again: a minute's idle round is no news."""
        if not last or _news(done) or _news(last[0]) or done.ran != last[0].ran:
            _said(done)
        last[:] = [done]

    try:
        scheduler.run(said_when_new)
    except KeyboardInterrupt:
        pass
    finally:
        scheduler.stop()


def _news(done: Round) -> bool:
    ticked, sent = done.ticked, done.sent
    acted = ticked is not None and bool(ticked.activations or ticked.ended or ticked.roster)
    told = sent is not None and bool(sent.sent or sent.retrying or sent.failed or sent.unknown)
    return acted or told or bool(done.problems)


def _said(done: Round) -> None:
    if not done.ran:
        err.print(f"another scheduler holds the lease ({escape(done.holder)}): nothing done", highlight=False)
        return
    ticked, sent = done.ticked, done.sent
    parts = []
    if ticked is not None:
        parts.append(
            f"{len(ticked.activations)} activation(s), {len(ticked.ended)} override(s) and hold(s) ended, "
            f"{len(ticked.roster)} roster change(s)"
        )
    if sent is not None:
        parts.append(f"{len(sent.sent)} sent, {len(sent.retrying)} to retry, {len(sent.failed)} failed")
    err.print("; ".join(parts) or "nothing done", highlight=False)
    for problem in done.problems:
        err.print(f"[red]refused:[/red] {escape(problem)}", highlight=False, soft_wrap=True)
