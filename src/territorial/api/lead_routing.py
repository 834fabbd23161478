"""POST /leads/route: route leads now, one or many, each decision stored with its path before the
answer goes back."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from territorial.api.auth import Caller, Workspace
from territorial.api.write_headers import IdempotencyKey, once
from territorial.api.write_models import LeadsToRoute, PathStep, RouteDecision, RouteDecisions
from territorial.domain.leads import Routed
from territorial.services.route_requests import RouterCache, route_now

router = APIRouter()


def decision(routed: Routed) -> RouteDecision:
    return RouteDecision(
        lead_id=routed.lead_id,
        decision=routed.outcome.value,
        rep_id=routed.rep_id,
        territory_id=routed.territory_id,
        matched_account_id=routed.matched_account_id,
        queue=routed.queue,
        score=routed.score,
        relevance=routed.relevance,
        product=routed.product,
        reason=routed.reason,
        path=[PathStep(**step.as_dict()) for step in routed.path],
        already_routed=routed.already_routed,
    )


@router.post("/leads/route", response_model=RouteDecisions, operation_id="route_leads", tags=["leads"])
def route(
    workspace: Workspace, ctx: Caller, request: Request, body: LeadsToRoute, key: IdempotencyKey = None
) -> JSONResponse:
    """Route leads with the active plan, in order: each answer is the decision and its path in plain
    words, stored before this answer is sent. A lead routed before gets its stored decision back
    (`already_routed`), so sending a lead twice never routes it twice."""
    leads = [lead.model_dump(exclude_none=True) for lead in body.leads]  # type: ignore[attr-defined]

    routers: RouterCache = request.app.state.routers

    def act() -> RouteDecisions:
        return RouteDecisions(decisions=[decision(r) for r in route_now(workspace, ctx, leads, routers)])

    return once(workspace, ctx, request, key, body, 200, act)
