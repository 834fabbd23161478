"""The response models: strict pydantic, so the OpenAPI document says exactly what is sent. The
record models follow the entity schemas (domain.entities), field for field."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Generic, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, create_model, field_validator

from territorial.domain.entities import ACCOUNTS, LEADS, OPPORTUNITIES, REPS, EntitySchema
from territorial.domain.fields import FieldType

STRICT = ConfigDict(strict=True, extra="forbid")
PYTHON_TYPES: dict[FieldType, Any] = {
    FieldType.STRING: str,
    FieldType.NUMBER: float,
    FieldType.BOOLEAN: bool,
    FieldType.DATE: date,
}


class Strict(BaseModel):
    model_config = STRICT


NUL = "\x00"
NUL_REFUSED = "text cannot hold a NUL character (U+0000); no workspace can store it"


def has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return NUL in value
    if isinstance(value, dict):
        return any(has_nul(key) or has_nul(item) for key, item in value.items())
    if isinstance(value, list | tuple):
        return any(has_nul(item) for item in value)
    return False


class Sent(Strict):
    """A request's body: strict, and no text with a NUL character, which SQLite would store cut short
    and PostgreSQL refuses, so it is a 422 naming the field rather than a failed write."""

    @field_validator("*")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        if has_nul(value):
            raise ValueError(NUL_REFUSED)
        return value


def _record_model(name: str, schema: EntitySchema, **extra: Any) -> type[Strict]:
    fields: dict[str, Any] = {
        field: (str, ...) if field == schema.id_field else (PYTHON_TYPES[ftype] | None, None)
        for field, ftype in schema.fields.items()
    }
    return create_model(name, __base__=Strict, **fields, **extra)


Account = _record_model("Account", ACCOUNTS, custom=(dict[str, str], {}))
Rep = _record_model("Rep", REPS)
Opportunity = _record_model("Opportunity", OPPORTUNITIES)
Lead = _record_model(
    "Lead",
    LEADS,
    routed_rep_id=(str | None, None),
    routed_territory_id=(str | None, None),
    matched_account_id=(str | None, None),
    decision=(str | None, None),
)


def _with_offset(moment: datetime) -> datetime:
    """The workspace keeps the server's local time without its offset; JSON's date-time (RFC 3339)
    needs one, so a client in another zone reads the same moment."""
    return moment if moment.tzinfo is not None else moment.astimezone()


Moment = Annotated[datetime, AfterValidator(_with_offset)]

Item = TypeVar("Item")


class Page(Strict, Generic[Item]):
    items: list[Item]
    next_cursor: str | None  # pass as ?cursor= for the next page; null on the last


def paged(model: type[Strict]) -> type[Strict]:
    """Page[model] for a model built from a schema (mypy cannot read those as types)."""
    return Page[model]  # type: ignore[valid-type]


AccountPage, RepPage, OpportunityPage, LeadPage = map(paged, (Account, Rep, Opportunity, Lead))


class LiveRow(Strict):
    account_id: str
    layer: str
    territory_id: str | None
    rep_id: str | None
    overlaps: list[str]
    tie: bool
    reason: str | None
    cause: str | None
    since: date


class Visit(Strict):
    territory_id: str
    name: str
    depth: int
    rule: str | None
    result: str
    because: list[str]


class LayerAnswer(Strict):
    layer: str
    territory_id: str | None
    overlaps: list[str]
    tie: bool
    candidate_reps: list[str]


class Explanation(Strict):
    account_id: str
    visits: list[Visit]
    answers: dict[str, LayerAnswer]
    resolution: list[str]
    live: list[str]
    warnings: list[str]


class Override(Strict):
    override_id: int
    account_id: str
    layer: str
    territory_id: str | None
    rep_id: str | None
    reason: str
    actor: str | None
    created_at: Moment
    until: date | None
    ended_at: Moment | None
    end_cause: str | None


class Hold(Strict):
    hold_id: int
    account_id: str
    layer: str
    territory_id: str | None
    rep_id: str
    actor: str | None
    created_at: Moment
    until: date
    ended_at: Moment | None
    end_cause: str | None


class Plan(Strict):
    plan_id: int
    name: str
    file_name: str
    state: str
    effective: date | None
    created_at: Moment
    actor: str | None
    source: str | None  # the YAML as stored: admins and planners only


class Territory(Strict):
    territory_id: str
    name: str
    parent_id: str | None
    layer: str
    depth: int
    order: int
    priority: int
    rule: str | None
    reps: list[str]


class Run(Strict):
    run_id: int
    plan_id: int
    started_at: Moment
    finished_at: Moment | None
    accounts: int
    unassigned: int
    ties: int
    actor: str | None


class Me(Strict):
    user_name: str
    role: str
    rep_id: str | None
    scopes: list[str]


class ProblemError(Strict):
    location: str
    subject: str | None = None
    detail: str


class Problem(Strict):
    type: str
    title: str
    status: int
    detail: str
    errors: list[ProblemError] = []
