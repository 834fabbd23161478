"""Leads sent to be routed now (the API's POST /leads/route): each routed with the active plan and
its decision stored, with its path, before the answer goes back."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from territorial.domain.leads import Routed
from territorial.errors import BadInput
from territorial.services.context import Context
from territorial.services.permissions import may_route
from territorial.services.plans import active_plan_id
from territorial.services.routing import open_router, route_lead
from territorial.services.unit_of_work import WorkspaceStore

# One request routes at most this many: a bigger batch is a file for `territorial route`.
MAX_LEADS_PER_REQUEST = 1000


def route_now(workspace: WorkspaceStore, ctx: Context, leads: Sequence[Mapping[str, Any]]) -> list[Routed]:
    """Route each lead in order with the active plan; a lead routed before gets its stored decision."""
    may_route(ctx.principal)
    if not leads:
        raise BadInput.at("send at least one lead", "body", subject="leads")
    if len(leads) > MAX_LEADS_PER_REQUEST:
        raise BadInput.at(
            f"{len(leads):,} leads in one request; send at most {MAX_LEADS_PER_REQUEST:,} "
            "(a bigger batch is a file for `territorial route`)",
            "body",
            subject="leads",
        )
    router = open_router(workspace, active_plan_id(workspace, "plan"))
    return [route_lead(workspace, ctx, router, lead) for lead in leads]
