"""GET /plans, /plans/{id}, /plans/{id}/territories, /runs, /runs/{id} and /me."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from territorial.api.auth import Caller, Workspace
from territorial.api.models import Me, Page, Plan, Run, Territory
from territorial.api.params import Cursor, Limit, page_body
from territorial.services.pages import DEFAULT_LIMIT
from territorial.services.plan_versions import plan_version
from territorial.services.plan_views import (
    get_plan_for,
    get_run_for,
    list_plans_for,
    list_runs_for,
    plan_territories_for,
)

router = APIRouter()


@router.get("/plans", response_model=Page[Plan], operation_id="list_plans", tags=["plans"])
def plans(
    workspace: Workspace, ctx: Caller, cursor: Cursor = None, limit: Limit = DEFAULT_LIMIT
) -> dict[str, Any]:
    """Every stored plan by id: draft, scheduled, active or archived."""
    return page_body(Plan, list_plans_for(workspace, ctx, cursor, limit))


@router.get("/plans/{plan_id}", response_model=Plan, operation_id="get_plan", tags=["plans"])
def plan(workspace: Workspace, ctx: Caller, plan_id: int, response: Response) -> Any:
    """One plan, with its YAML for admins and planners, and its version as the ETag that writes to it
    and to its territories send back as If-Match."""
    found = Plan.model_validate(get_plan_for(workspace, ctx, plan_id))
    if found.source is not None:
        response.headers["ETag"] = plan_version(found.source)
    return found


@router.get(
    "/plans/{plan_id}/territories",
    response_model=Page[Territory],
    operation_id="list_plan_territories",
    tags=["plans"],
)
def territories(
    workspace: Workspace,
    ctx: Caller,
    plan_id: int,
    response: Response,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> dict[str, Any]:
    """A plan's territories in plan order, with the plan's ETag (for admins and planners), which
    writes to the territories send back as If-Match."""
    page = page_body(Territory, plan_territories_for(workspace, ctx, plan_id, cursor, limit))
    source = get_plan_for(workspace, ctx, plan_id)["source"] if ctx.principal.sees_everything else None
    if source is not None:
        response.headers["ETag"] = plan_version(source)
    return page


@router.get("/runs", response_model=Page[Run], operation_id="list_runs", tags=["runs"])
def runs(
    workspace: Workspace, ctx: Caller, cursor: Cursor = None, limit: Limit = DEFAULT_LIMIT
) -> dict[str, Any]:
    """Every assignment run, oldest first (admins and planners)."""
    return page_body(Run, list_runs_for(workspace, ctx, cursor, limit))


@router.get("/runs/{run_id}", response_model=Run, operation_id="get_run", tags=["runs"])
def run(workspace: Workspace, ctx: Caller, run_id: int) -> Any:
    """One assignment run (admins and planners)."""
    return Run.model_validate(get_run_for(workspace, ctx, run_id))


@router.get("/me", response_model=Me, operation_id="get_me", tags=["users"])
def me(ctx: Caller) -> Me:
    """Who the token signs in as: user, role, rep and scopes."""
    principal = ctx.principal
    scopes = sorted(scope.value for scope in principal.scopes)
    return Me(user_name=principal.name, role=principal.role.value, rep_id=principal.rep_id, scopes=scopes)
