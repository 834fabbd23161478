"""POST /jobs, GET /jobs, GET /jobs/{job_id}, POST /jobs/{job_id}/cancel: long work run in the
background of the serving process, or by `territorial worker` processes when Redis is configured,
with its progress, result and cancel (services.jobs, services.worker)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import Field

from territorial.api.auth import Caller, Workspace
from territorial.api.models import Moment, Strict
from territorial.domain.jobs import JobState, StoredJob
from territorial.errors import BadInput
from territorial.services.jobs import JobSubmitter, cancel_job, job, list_jobs

router = APIRouter(tags=["jobs"])


class AssignJob(Strict):
    """Assign a plan to the workspace's accounts as a stored run (`territorial assign --plan ID`)."""

    plan_id: int = Field(ge=1)


class JobIn(Strict):
    # Only work named by what the workspace holds: kinds that read or write files take paths on
    # the server, which `territorial jobs` and the web app's uploads give, not an API client.
    kind: Literal["assign"]
    parameters: AssignJob


class JobOut(Strict):
    job_id: int
    kind: str
    parameters: dict[str, Any]
    state: str
    progress: float | None
    message: str
    result: dict[str, Any] | None
    error: str | None
    submitted_by: str
    created_at: Moment
    started_at: Moment | None
    finished_at: Moment | None
    cancel_requested: bool


def shown(stored: StoredJob) -> JobOut:
    return JobOut(
        job_id=stored.job_id,
        kind=stored.kind,
        parameters=stored.parameters,
        state=stored.state.value,
        progress=stored.progress,
        message=stored.message,
        result=stored.result,
        error=stored.error,
        submitted_by=stored.submitted_by,
        created_at=stored.created_at,
        started_at=stored.started_at,
        finished_at=stored.finished_at,
        cancel_requested=stored.cancel_requested,
    )


def jobs_of(request: Request) -> JobSubmitter:
    """Where this server sends jobs: its own runner, or the workers' queue."""
    background = getattr(request.app.state, "background", None)
    if background is None:
        raise BadInput.at("this server runs no jobs: start it with `territorial serve`", "kind")
    jobs: JobSubmitter = background.jobs
    return jobs


@router.post("/jobs", response_model=JobOut, status_code=202, operation_id="submit_job")
def submit(workspace: Workspace, ctx: Caller, request: Request, body: JobIn) -> JobOut:
    """Start a job; it runs in the background. Poll GET /jobs/{job_id} for its progress and result."""
    job_id = jobs_of(request).submit(body.kind, body.parameters.model_dump(), ctx)
    return shown(job(workspace, ctx, job_id))


States = Annotated[list[JobState] | None, Query(description="Only jobs in these states.")]
Limit = Annotated[int, Query(ge=1, le=500, description="At most this many, newest first.")]


@router.get("/jobs", response_model=list[JobOut], operation_id="list_jobs")
def jobs(workspace: Workspace, ctx: Caller, state: States = None, limit: Limit = 50) -> list[JobOut]:
    """The newest jobs first: an admin's or planner's all, anyone else's their own."""
    return [shown(found) for found in list_jobs(workspace, ctx, state or (), limit)]


@router.get("/jobs/{job_id}", response_model=JobOut, operation_id="get_job")
def one(workspace: Workspace, ctx: Caller, job_id: int) -> JobOut:
    """A job as it stands: its state, progress, result or error."""
    return shown(job(workspace, ctx, job_id))


@router.post("/jobs/{job_id}/cancel", response_model=JobOut, operation_id="cancel_job")
def cancel(workspace: Workspace, ctx: Caller, job_id: int) -> JobOut:
    """Ask a job to stop: a queued one is cancelled at once, a running one at its next progress point."""
    return shown(cancel_job(workspace, ctx, job_id))
