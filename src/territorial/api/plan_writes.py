"""POST /plans (a new draft from YAML), PUT and DELETE /plans/{plan_id} (a draft's YAML replaced, or the
draft deleted: both need If-Match), and POST /plans/{plan_id}/clone."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from territorial.api.auth import Caller, Workspace
from territorial.api.models import Plan
from territorial.api.write_headers import IdempotencyKey, IfMatch, once, required_version, with_plan_version
from territorial.api.write_models import Deleted, PlanText
from territorial.errors import BadInput
from territorial.services.context import Context
from territorial.services.plan_states import clone_plan, delete_plan, update_plan
from territorial.services.plan_views import written_plan
from territorial.services.plans import add_plan
from territorial.services.record_upserts import in_body
from territorial.services.unit_of_work import WorkspaceStore

router = APIRouter()


def _from_text(body: PlanText, store: Callable[[Path], Any]) -> Any:
    """Store a plan sent as text, through the services that store plan files."""
    with TemporaryDirectory(prefix="territorial-plan-") as folder:
        path = Path(folder) / body.file_name
        path.write_text(body.yaml, encoding="utf-8")
        try:
            return store(path)
        except BadInput as error:
            raise in_body(error, path, field="yaml") from None


def _plan_answer(workspace: WorkspaceStore, ctx: Context, plan_id: int) -> JSONResponse:
    plan = Plan.model_validate(written_plan(workspace, ctx, plan_id))
    return with_plan_version(JSONResponse(plan.model_dump(mode="json")))


@router.post("/plans", response_model=Plan, status_code=201, operation_id="add_plan", tags=["plans"])
def add(
    workspace: Workspace, ctx: Caller, request: Request, body: PlanText, key: IdempotencyKey = None
) -> JSONResponse:
    """A new draft plan from its YAML, checked as `territorial plan add` checks a plan file."""

    def act() -> Plan:
        plan_id = _from_text(body, lambda path: add_plan(workspace, ctx, path))
        return Plan.model_validate(written_plan(workspace, ctx, plan_id))

    return with_plan_version(once(workspace, ctx, request, key, body, 201, act))


@router.put("/plans/{plan_id}", response_model=Plan, operation_id="update_plan", tags=["plans"])
def update(
    workspace: Workspace, ctx: Caller, plan_id: int, body: PlanText, if_match: IfMatch = None
) -> JSONResponse:
    """A draft's YAML replaced, if the draft is still at the version given in If-Match."""
    version = required_version(if_match)
    _from_text(body, lambda path: update_plan(workspace, ctx, plan_id, path, version=version))
    return _plan_answer(workspace, ctx, plan_id)


@router.delete("/plans/{plan_id}", response_model=Deleted, operation_id="delete_plan", tags=["plans"])
def delete(
    workspace: Workspace,
    ctx: Caller,
    plan_id: int,
    if_match: IfMatch = None,
    with_runs: Annotated[bool, Query(description="Delete its assignment runs too.")] = False,
) -> Deleted:
    """A draft deleted, if still at the version given in If-Match."""
    runs = delete_plan(workspace, ctx, plan_id, with_runs, required_version(if_match))
    return Deleted(plan_id=plan_id, runs_deleted=runs)


@router.post(
    "/plans/{plan_id}/clone", response_model=Plan, status_code=201, operation_id="clone_plan", tags=["plans"]
)
def clone(
    workspace: Workspace, ctx: Caller, request: Request, plan_id: int, key: IdempotencyKey = None
) -> JSONResponse:
    """A new draft holding the plan's YAML (the active plan's with its roster as it stands)."""

    def act() -> Plan:
        return Plan.model_validate(written_plan(workspace, ctx, clone_plan(workspace, ctx, plan_id)))

    return with_plan_version(once(workspace, ctx, request, key, None, 201, act))
