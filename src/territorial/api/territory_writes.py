"""A draft plan's territories: POST /plans/{plan_id}/territories (add), PATCH and DELETE
/plans/{plan_id}/territories/{territory_id} (change the rule or other keys, move, delete), each with
the plan's ETag as If-Match; GET .../matches counts the accounts a rule matches while it is typed."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from territorial.api.auth import Caller, Workspace
from territorial.api.write_headers import IdempotencyKey, IfMatch, once, required_version
from territorial.api.write_models import (
    RuleMatchCount,
    TerritoryChange,
    TerritoryDeleted,
    TerritoryEdited,
    TerritoryIn,
)
from territorial.services.plan_versions import plan_version
from territorial.services.territory_edits import (
    EditedPlan,
    add_territory,
    change_territory,
    delete_territory,
    rule_matches,
)

router = APIRouter()


def _edited(edited: EditedPlan, territory_id: str, plan_id: int) -> TerritoryEdited:
    territory = edited.plan.by_id[territory_id]
    source = territory.source
    return TerritoryEdited(
        plan_id=plan_id,
        territory_id=territory_id,
        parent_id=territory.parent,
        rule=source.text if source is not None else None,
        within_parent=0,
    )


def _versioned(answer: JSONResponse, edited: EditedPlan) -> JSONResponse:
    answer.headers["ETag"] = plan_version(edited.stored.source)
    return answer


@router.post(
    "/plans/{plan_id}/territories",
    response_model=TerritoryEdited,
    status_code=201,
    operation_id="add_territory",
    tags=["plans"],
)
def add(
    workspace: Workspace,
    ctx: Caller,
    request: Request,
    plan_id: int,
    body: TerritoryIn,
    if_match: IfMatch = None,
    key: IdempotencyKey = None,
) -> JSONResponse:
    """Add a territory to a draft, last under its parent; the YAML keeps its comments and order."""
    version = required_version(if_match)
    fields = body.model_dump(exclude_none=True, exclude={"territory_id", "parent_id"})
    edits: list[EditedPlan] = []

    def act() -> TerritoryEdited:
        edited = add_territory(
            workspace, ctx, plan_id, {"id": body.territory_id, **fields}, body.parent_id, version
        )
        edits.append(edited)
        return _with_count(workspace, ctx, _edited(edited, body.territory_id, plan_id))

    answer = once(workspace, ctx, request, key, body, 201, act)
    return _versioned(answer, edits[0]) if edits else answer


def _with_count(workspace: Workspace, ctx: Caller, edited: TerritoryEdited) -> TerritoryEdited:
    counted = rule_matches(workspace, ctx, edited.plan_id, edited.territory_id)
    return edited.model_copy(update={"within_parent": counted.within_parent})


@router.patch(
    "/plans/{plan_id}/territories/{territory_id}",
    response_model=TerritoryEdited,
    operation_id="change_territory",
    tags=["plans"],
)
def change(
    workspace: Workspace,
    ctx: Caller,
    plan_id: int,
    territory_id: str,
    body: TerritoryChange,
    if_match: IfMatch = None,
) -> JSONResponse:
    """Change a territory of a draft: its rule (checked as it is stored, with the count of accounts it
    now matches), name, priority or reps, and with `parent_id` move it. One edit, one new version."""
    version = required_version(if_match)
    sent = body.model_dump(include=body.model_fields_set)
    moving = "parent_id" in sent
    parent_id = sent.pop("parent_id", None)
    edited = change_territory(workspace, ctx, plan_id, territory_id, sent, version, moving, parent_id)
    answer = _with_count(workspace, ctx, _edited(edited, territory_id, plan_id))
    return _versioned(JSONResponse(answer.model_dump(mode="json")), edited)


@router.delete(
    "/plans/{plan_id}/territories/{territory_id}",
    response_model=TerritoryDeleted,
    operation_id="delete_territory",
    tags=["plans"],
)
def delete(
    workspace: Workspace, ctx: Caller, plan_id: int, territory_id: str, if_match: IfMatch = None
) -> JSONResponse:
    """Delete a territory with nothing below it from a draft."""
    edited = delete_territory(workspace, ctx, plan_id, territory_id, required_version(if_match))
    answer = TerritoryDeleted(plan_id=plan_id, territory_id=territory_id)
    return _versioned(JSONResponse(answer.model_dump(mode="json")), edited)


@router.get(
    "/plans/{plan_id}/territories/{territory_id}/matches",
    response_model=RuleMatchCount,
    operation_id="count_rule_matches",
    tags=["plans"],
)
def matches(
    workspace: Workspace,
    ctx: Caller,
    plan_id: int,
    territory_id: str,
    # A query string travels in the request line, which the server caps at 16 KB: 1,000 characters
    # stay under it even percent-encoded at 12 bytes each (a longer one reset the connection under
    # fuzzing). A longer rule is checked when it is saved (PATCH, in the body).
    rule: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=1_000,
            description="A rule to try in place of its own (≤ 1,000 characters).",
        ),
    ] = None,
    would_win: Annotated[
        bool, Query(description="Also count the accounts it would win: assigns every account, slower.")
    ] = False,
) -> RuleMatchCount:
    """Live validation while a rule is typed: the rule's problems (at their character), else how many
    active accounts it matches within its parent, and on request how many it would win."""
    found = rule_matches(workspace, ctx, plan_id, territory_id, rule, would_win)
    return RuleMatchCount(
        territory_id=found.territory_id,
        rule=found.rule,
        within_parent=found.within_parent,
        would_win=found.would_win,
    )
