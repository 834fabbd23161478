"""POST /overrides and /holds, DELETE /overrides/{account_id} and /holds/{account_id}: pinning an
account in the live assignment, as `territorial override` and `territorial hold` do."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from territorial.api.auth import Caller, Workspace
from territorial.api.write_headers import IdempotencyKey, once
from territorial.api.write_models import HoldIn, OverrideIn, PinChanged
from territorial.services.overrides import PinChange, add_hold, add_override, remove_hold, remove_override

router = APIRouter()
Layer = Annotated[str, Query(min_length=1, max_length=255, description="The layer: primary unless named.")]


def changed(change: PinChange) -> PinChanged:
    return PinChanged(
        account_id=change.account_id, layer=change.layer, cause=change.cause, live_changes=change.changed
    )


@router.post(
    "/overrides", response_model=PinChanged, status_code=201, operation_id="add_override", tags=["assignment"]
)
def override(
    workspace: Workspace, ctx: Caller, request: Request, body: OverrideIn, key: IdempotencyKey = None
) -> JSONResponse:
    """Pin an account (in a layer) to a territory, a rep or both, with the reason; the live
    assignment changes at once."""

    def act() -> PinChanged:
        return changed(
            add_override(
                workspace,
                ctx,
                body.account_id,
                body.territory_id,
                body.rep_id,
                body.reason,
                body.layer,
                body.until,
            )
        )

    return once(workspace, ctx, request, key, body, 201, act)


@router.delete(
    "/overrides/{account_id}", response_model=PinChanged, operation_id="remove_override", tags=["assignment"]
)
def end_override(workspace: Workspace, ctx: Caller, account_id: str, layer: Layer = "primary") -> PinChanged:
    """End an account's override: the rules (or a hold) place it again."""
    return changed(remove_override(workspace, ctx, account_id, layer))


@router.post(
    "/holds", response_model=PinChanged, status_code=201, operation_id="add_hold", tags=["assignment"]
)
def hold(
    workspace: Workspace, ctx: Caller, request: Request, body: HoldIn, key: IdempotencyKey = None
) -> JSONResponse:
    """Keep an account's live territory and rep (in a layer) until a day."""

    def act() -> PinChanged:
        return changed(add_hold(workspace, ctx, body.account_id, body.until, body.layer))

    return once(workspace, ctx, request, key, body, 201, act)


@router.delete(
    "/holds/{account_id}", response_model=PinChanged, operation_id="remove_hold", tags=["assignment"]
)
def end_hold(workspace: Workspace, ctx: Caller, account_id: str, layer: Layer = "primary") -> PinChanged:
    """End an account's hold: the rules (or an override) place it again."""
    return changed(remove_hold(workspace, ctx, account_id, layer))
