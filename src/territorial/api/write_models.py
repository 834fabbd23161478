"""The request and answer models of the API's writes: strict pydantic, so `"12"` is not a number
and an unknown field is an error naming it. Dates are ISO text, as JSON has no dates."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from pydantic import Field, create_model

from territorial.api.models import PYTHON_TYPES, Sent, Strict
from territorial.domain.entities import ACCOUNTS, LEADS, OPPORTUNITIES, REPS, EntitySchema
from territorial.domain.fields import FieldType

IsoDate = Annotated[date, Field(strict=False)]  # "2026-03-01" in JSON
Id = Annotated[str, Field(min_length=1, max_length=255)]


def _sent_model(name: str, schema: EntitySchema, **extra: Any) -> type[Strict]:
    """A record as sent: its id, and any of its fields (a field left out keeps its stored value)."""
    fields: dict[str, Any] = {}
    for field, ftype in schema.fields.items():
        python = IsoDate if ftype is FieldType.DATE else PYTHON_TYPES[ftype]
        fields[field] = (Id, ...) if field == schema.id_field else (python | None, None)
    return create_model(name, __base__=Sent, **fields, **extra)


CustomName = Annotated[str, Field(min_length=1, max_length=255, pattern=r"^[A-Za-z_][A-Za-z0-9_ ]*$")]
AccountIn = _sent_model("AccountIn", ACCOUNTS, custom=(dict[CustomName, str | None], {}))
RepIn = _sent_model("RepIn", REPS)
OpportunityIn = _sent_model("OpportunityIn", OPPORTUNITIES)
LeadIn = _sent_model("LeadIn", LEADS)


class Imported(Strict):
    """What an upsert or an import did: the import's id in the history, and its counts."""

    import_id: int
    entity: str
    rows_read: int
    inserted: int
    updated: int
    unchanged: int
    deactivated: int
    normalized_cells: int
    live_changes: int | None  # live rows whose territory or rep changed; null when no plan is active


class LeadsToRoute(Sent):
    leads: list[LeadIn] = Field(min_length=1, max_length=1000)  # type: ignore[valid-type]


class PathStep(Strict):
    step: str
    inputs: str
    outcome: str


class RouteDecision(Strict):
    lead_id: str
    decision: str  # matched, routed, nurture, duplicate, fallback
    rep_id: str | None
    territory_id: str | None
    matched_account_id: str | None
    queue: str | None
    score: int | None
    relevance: float | None
    product: str | None
    reason: str
    path: list[PathStep]
    already_routed: bool


class RouteDecisions(Strict):
    decisions: list[RouteDecision]


class PlanText(Strict):  # a NUL is refused by the YAML reader, which names its line
    """A plan's YAML, as a plan file holds it."""

    file_name: str = Field(default="plan.yaml", min_length=1, max_length=255, pattern=r"^[^/\\\x00]+$")
    yaml: str = Field(min_length=1, max_length=50_000_000)


class Deleted(Strict):
    plan_id: int
    runs_deleted: int


class OverrideIn(Sent):
    account_id: Id
    territory_id: Id | None = None
    rep_id: Id | None = None
    reason: str = Field(min_length=1, max_length=2000)
    layer: Id = "primary"
    until: IsoDate | None = None


class HoldIn(Sent):
    account_id: Id
    until: IsoDate
    layer: Id = "primary"


class PinChanged(Strict):
    account_id: str
    layer: str
    cause: str
    live_changes: int


TerritoryId = Annotated[str, Field(min_length=1, max_length=255, pattern=r"^[A-Za-z0-9_.:-]+$")]
Rule = Annotated[str, Field(min_length=1, max_length=1_000_000)]


class TerritoryIn(Sent):
    """A new territory, last under its parent (none: the top level)."""

    territory_id: TerritoryId
    parent_id: TerritoryId | None = None
    name: str | None = Field(default=None, max_length=1000)
    rule: Rule | None = None  # none: every account that reaches it
    layer: str | None = Field(default=None, pattern=r"^[a-z0-9_-]+$", max_length=255)
    priority: int | None = Field(default=None, ge=-1_000_000_000, le=1_000_000_000)
    reps: list[Id] | None = None


class TerritoryChange(Sent):
    """The keys to change; a key sent as null is removed (a rule: it then matches every account that
    reaches it). `parent_id` moves the territory, with those below it, last under that parent (null:
    the top level)."""

    parent_id: TerritoryId | None = None
    name: str | None = Field(default=None, max_length=1000)
    rule: Rule | None = None
    priority: int | None = Field(default=None, ge=-1_000_000_000, le=1_000_000_000)
    reps: list[Id] | None = None


class TerritoryEdited(Strict):
    plan_id: int
    territory_id: str
    parent_id: str | None
    rule: str | None
    within_parent: int  # active accounts that reach it and match its rule


class TerritoryDeleted(Strict):
    plan_id: int
    territory_id: str


class RuleMatchCount(Strict):
    territory_id: str
    rule: str | None
    within_parent: int
    would_win: int | None


class ActivationIn(Sent):
    """When the plan takes effect: today unless a later day (then it is scheduled)."""

    effective: IsoDate | None = None
    skip_checks: bool = False  # activate although its checks fail (recorded)
    end_stale_overrides: bool = False  # end overrides naming a territory or rep the plan lacks


class ActivationDone(Strict):
    plan_id: int
    activation_id: int
    effective: date
    scheduled: bool
    archived: int | None  # the plan that was active until now
    accounts: int
    live_changes: int
    warnings: list[str]


class Unscheduled(Strict):
    plan_id: int
    effective: date  # the day it was scheduled for


class CheckResult(Strict):
    name: str
    passed: bool
    rows: int
    failed_rows: int


class PlanCheckResults(Strict):
    plan_id: int
    passed: bool
    checks: list[CheckResult]
    baseline: str | None  # what `moved` was measured against


class RepBalance(Strict):
    reps: int
    cv: float | None
    max_over_mean: float | None


class PlanComparison(Strict):
    plan_a: int
    plan_b: int
    accounts_moving: int  # accounts and layers whose territory or rep differs
    continuity: float | None  # primary: accounts keeping their rep ÷ accounts with a rep in A
    balance_a: RepBalance
    balance_b: RepBalance
    warnings: list[str]
