"""GET /accounts, /reps, /opportunities, /leads: each a filtered page, and one record by id."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from territorial.api.auth import Caller, Workspace
from territorial.api.models import (
    Account,
    AccountPage,
    Lead,
    LeadPage,
    Opportunity,
    OpportunityPage,
    Rep,
    RepPage,
)
from territorial.api.params import Cursor, Limit, RepFilter, page_body
from territorial.services.pages import DEFAULT_LIMIT
from territorial.services.record_views import (
    get_account,
    get_lead,
    get_opportunity,
    get_rep,
    list_accounts,
    list_leads,
    list_opportunities,
    list_reps,
)

router = APIRouter()


@router.get("/accounts", response_model=AccountPage, operation_id="list_accounts", tags=["accounts"])
def accounts(
    workspace: Workspace,
    ctx: Caller,
    rep: RepFilter = None,
    territory: Annotated[str | None, Query(description="Only accounts this territory holds.")] = None,
    country: str | None = None,
    state: str | None = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> dict[str, Any]:
    """Active accounts by account_id; `rep` and `territory` keep those the rep owns or the territory
    holds in any layer."""
    found = list_accounts(workspace, ctx, rep, territory, country, state, cursor, limit)
    return page_body(Account, found)


@router.get("/accounts/{account_id}", response_model=Account, operation_id="get_account", tags=["accounts"])
def account(workspace: Workspace, ctx: Caller, account_id: str) -> Any:
    """One account."""
    return Account.model_validate(get_account(workspace, ctx, account_id))


@router.get("/reps", response_model=RepPage, operation_id="list_reps", tags=["reps"])
def reps(
    workspace: Workspace,
    ctx: Caller,
    manager: Annotated[str | None, Query(description="Only this manager's direct reports.")] = None,
    team: str | None = None,
    active: bool | None = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> dict[str, Any]:
    """Reps by rep_id."""
    return page_body(Rep, list_reps(workspace, ctx, manager, team, active, cursor, limit))


@router.get("/reps/{rep_id}", response_model=Rep, operation_id="get_rep", tags=["reps"])
def rep(workspace: Workspace, ctx: Caller, rep_id: str) -> Any:
    """One rep."""
    return Rep.model_validate(get_rep(workspace, ctx, rep_id))


@router.get(
    "/opportunities",
    response_model=OpportunityPage,
    operation_id="list_opportunities",
    tags=["opportunities"],
)
def opportunities(
    workspace: Workspace,
    ctx: Caller,
    account: Annotated[str | None, Query(description="Only this account's.")] = None,
    rep: RepFilter = None,
    open: Annotated[bool, Query(description="Only those neither closed nor won.")] = False,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> dict[str, Any]:
    """Active opportunities by opportunity_id."""
    return page_body(Opportunity, list_opportunities(workspace, ctx, account, rep, open, cursor, limit))


@router.get(
    "/opportunities/{opportunity_id}",
    response_model=Opportunity,
    operation_id="get_opportunity",
    tags=["opportunities"],
)
def opportunity(workspace: Workspace, ctx: Caller, opportunity_id: str) -> Any:
    """One opportunity."""
    return Opportunity.model_validate(get_opportunity(workspace, ctx, opportunity_id))


@router.get("/leads", response_model=LeadPage, operation_id="list_leads", tags=["leads"])
def leads(
    workspace: Workspace,
    ctx: Caller,
    rep: Annotated[str | None, Query(description="Only leads routed to this rep.")] = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> dict[str, Any]:
    """Active leads by lead_id, with whom their latest routing decision sent them to."""
    return page_body(Lead, list_leads(workspace, ctx, rep, cursor, limit))


@router.get("/leads/{lead_id}", response_model=Lead, operation_id="get_lead", tags=["leads"])
def lead(workspace: Workspace, ctx: Caller, lead_id: str) -> Any:
    """One lead."""
    return Lead.model_validate(get_lead(workspace, ctx, lead_id))
