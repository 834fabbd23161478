"""The workspace's entities and their core fields: what imports map CRM columns onto.

Accounts and reps may carry any number of custom fields beside these (an account's region, a rep's
regional office); they stay usable in rules and as groups of figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from territorial.domain.fields import FieldType

S, N, B, D = FieldType.STRING, FieldType.NUMBER, FieldType.BOOLEAN, FieldType.DATE


class Entity(StrEnum):
    ACCOUNTS = "accounts"
    REPS = "reps"
    OPPORTUNITIES = "opportunities"
    LEADS = "leads"
    OPPORTUNITY_HISTORY = "opportunity_history"  # each opportunity's stage, amount and close day over time


@dataclass(frozen=True)
class EntitySchema:
    entity: Entity
    id_field: str
    fields: dict[str, FieldType]  # core fields, id included, in display order
    allows_custom: bool  # accounts and reps keep unknown columns as custom fields; the others reject them


ACCOUNTS = EntitySchema(
    Entity.ACCOUNTS,
    "account_id",
    {
        "account_id": S,
        "name": S,
        "website": S,
        "industry": S,
        "employees": N,
        "annual_revenue": N,
        "type": S,
        "parent_id": S,
        "owner_id": S,
        "street": S,
        "city": S,
        "state": S,
        "postal_code": S,
        "country": S,
        "latitude": N,
        "longitude": N,
    },
    allows_custom=True,
)

REPS = EntitySchema(
    Entity.REPS,
    "rep_id",
    {
        "rep_id": S,
        "name": S,
        "email": S,
        "role": S,
        "team": S,
        "manager_id": S,
        "home_postal_code": S,
        "latitude": N,
        "longitude": N,
        "capacity": N,
        "skills": S,  # ';'-separated, e.g. "industry:healthcare;language:de"
        "quota": N,
        "lead_weight": N,  # share of a territory's incoming leads: 2 takes twice as many as 1
        "daily_lead_cap": N,
        "monthly_lead_cap": N,
        "start_date": D,
        "end_date": D,
        "active": B,
    },
    allows_custom=True,
)

OPPORTUNITIES = EntitySchema(
    Entity.OPPORTUNITIES,
    "opportunity_id",
    {
        "opportunity_id": S,
        "account_id": S,
        "rep_id": S,
        "name": S,
        "product": S,
        "stage": S,
        "amount": N,
        "created": D,
        "closed": D,  # the day it closed; while open, the expected close day when the CRM has one
        "won": B,
        "is_closed": B,  # None: read from closed and won (closed when either is known)
        "probability": N,  # the CRM's chance of winning, 0-100
    },
    allows_custom=False,
)

LEADS = EntitySchema(
    Entity.LEADS,
    "lead_id",
    {
        "lead_id": S,
        "first_name": S,
        "last_name": S,
        "email": S,
        "company": S,
        "website": S,
        "country": S,
        "state": S,
        "postal_code": S,
        "industry": S,
        "employees": N,
        "source": S,
        "inquiry": S,
        "created": D,
        # What the CRM says of the lead now: its owner (a user, or a queue), its lifecycle stage
        # (HubSpot) and whether it was converted (Salesforce). Routing keeps a rep's lead and never
        # routes a converted one.
        "owner_id": S,
        "lifecycle_stage": S,
        "converted": B,
    },
    allows_custom=False,
)

# One row per change of an opportunity, as Salesforce's OpportunityHistory keeps them: what its stage,
# amount and expected close day were from `changed` on. What a forecast as of a past day knows.
OPPORTUNITY_HISTORY = EntitySchema(
    Entity.OPPORTUNITY_HISTORY,
    "history_id",
    {
        "history_id": S,
        "opportunity_id": S,
        "changed": D,
        "stage": S,
        "amount": N,
        "expected_close": D,
        "probability": N,
    },
    allows_custom=False,
)

SCHEMAS: dict[Entity, EntitySchema] = {
    s.entity: s for s in (ACCOUNTS, REPS, OPPORTUNITIES, LEADS, OPPORTUNITY_HISTORY)
}
