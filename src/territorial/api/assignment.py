"""GET /assignment (the live rows), /accounts/{id}/explain, /overrides and /holds."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from territorial.api.auth import Caller, Workspace
from territorial.api.models import Explanation, Hold, LiveRow, Override, Page
from territorial.api.params import Cursor, Limit, RepFilter, page_body
from territorial.services.assignment_views import explain_for, list_holds_for, list_live, list_overrides_for
from territorial.services.pages import DEFAULT_LIMIT

router = APIRouter()
Ended = Annotated[bool, Query(description="Ended ones too, with when and why they ended.")]


@router.get(
    "/assignment", response_model=Page[LiveRow], operation_id="list_live_assignment", tags=["assignment"]
)
def live(
    workspace: Workspace,
    ctx: Caller,
    rep: RepFilter = None,
    territory: str | None = None,
    layer: str | None = None,
    account: str | None = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> dict[str, Any]:
    """The live assignment: one row per active account and layer, by account and layer."""
    return page_body(LiveRow, list_live(workspace, ctx, rep, territory, layer, account, cursor, limit))


@router.get(
    "/accounts/{account_id}/explain",
    response_model=Explanation,
    operation_id="explain_account",
    tags=["assignment"],
)
def explain(workspace: Workspace, ctx: Caller, account_id: str) -> Any:
    """Why an account is where it is: the active plan's rules, holds, overrides and pools."""
    return Explanation.model_validate(explain_for(workspace, ctx, account_id))


@router.get("/overrides", response_model=Page[Override], operation_id="list_overrides", tags=["assignment"])
def overrides(
    workspace: Workspace, ctx: Caller, all: Ended = False, cursor: Cursor = None, limit: Limit = DEFAULT_LIMIT
) -> dict[str, Any]:
    """Overrides in force, oldest first."""
    return page_body(Override, list_overrides_for(workspace, ctx, all, cursor, limit))


@router.get("/holds", response_model=Page[Hold], operation_id="list_holds", tags=["assignment"])
def holds(
    workspace: Workspace, ctx: Caller, all: Ended = False, cursor: Cursor = None, limit: Limit = DEFAULT_LIMIT
) -> dict[str, Any]:
    """Holds in force, oldest first."""
    return page_body(Hold, list_holds_for(workspace, ctx, all, cursor, limit))
