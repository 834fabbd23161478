"""What the workspace keeps besides records: stored plans, routing decisions and earlier leads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from territorial.domain.lifecycle import PlanState


@dataclass(frozen=True)
class StoredPlan:
    """A plan as stored: its YAML verbatim, with the file it came from."""

    plan_id: int
    name: str
    file_name: str
    source: str
    created_at: datetime
    actor: str | None = None  # who stored it
    state: PlanState = PlanState.DRAFT
    effective: date | None = None  # the day it took or takes effect (scheduled, active, archived)


@dataclass(frozen=True)
class StoredDecision:
    """One routing decision as the audit keeps it, with the run it came from."""

    route_run_id: int
    lead_id: str
    lead_day: date
    decision: str
    rep_id: str | None
    territory_id: str | None
    matched_account_id: str | None
    score: int | None
    relevance: float | None
    product: str | None
    queue: str | None
    reason: str
    path: list[dict[str, str]]
    source: str
    plan_name: str


@dataclass(frozen=True)
class StoredRoutingRun:
    """A routing run as `route undo` sees it: the pools it moved and the later runs that moved them too."""

    route_run_id: int
    source: str
    leads: int
    undone_at: datetime | None
    pools: tuple[str, ...]
    later_runs: tuple[int, ...]  # not undone, newest first: they must be undone before this one


@dataclass(frozen=True)
class EarlierLead:
    """The latest stored lead from an email that reached a rep: the duplicate window's memory."""

    email: str
    lead_id: str
    day: date
    rep_id: str
    territory_id: str | None


@dataclass(frozen=True)
class ImportCounts:
    inserted: int
    updated: int
    unchanged: int
    deactivated: int


@dataclass(frozen=True)
class StoredRunInfo:
    """An assignment run as stored: its plan, when and by whom, and its counts."""

    run_id: int
    plan_id: int
    started_at: datetime
    finished_at: datetime | None
    accounts: int
    unassigned: int
    ties: int
    actor: str | None = None


@dataclass(frozen=True)
class PlanFile:
    """A file a stored plan references, kept with it: its path as the plan writes it, and content."""

    path: str
    sha256: str
    content: bytes
