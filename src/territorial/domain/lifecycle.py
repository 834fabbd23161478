"""A plan's life in the workspace: its states, and the activations that move it from one to the next."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum


class PlanState(StrEnum):
    DRAFT = "draft"  # editable and deletable; what `plan add`, `plan clone` and the migration make
    SCHEDULED = "scheduled"  # waits for `tick` on its effective day; `plan unschedule` takes it back
    ACTIVE = "active"  # the one plan the live assignment follows
    ARCHIVED = "archived"  # was active; kept for ever, and may be activated again


class ActivationStatus(StrEnum):
    SCHEDULED = "scheduled"
    APPLIED = "applied"
    CANCELLED = "cancelled"


# The plan reference that names the workspace's active plan, wherever a plan is given.
ACTIVE_REFERENCE = "active"


@dataclass(frozen=True)
class StoredActivation:
    """A request to make a plan active from 00:00 on `effective`, in the workspace's time zone."""

    activation_id: int
    plan_id: int
    effective: date
    status: ActivationStatus
    from_state: PlanState  # the plan's state before it was scheduled: `plan unschedule` restores it
    requested_at: datetime
    applied_at: datetime | None = None
    skipped_checks: bool = False
    actor: str | None = None


@dataclass(frozen=True)
class StoredOverride:
    """An account pinned to a territory and/or a rep in a layer, until it is removed, expires (at the
    first tick on or after `until`) or an activation ends it; `ended_at` and `end_cause` say which."""

    override_id: int
    account_id: str
    layer: str
    territory_id: str | None
    rep_id: str | None
    reason: str
    actor: str | None
    created_at: datetime
    until: date | None = None
    ended_at: datetime | None = None
    end_cause: str | None = None


@dataclass(frozen=True)
class StoredHold:
    """An account kept in its live territory and rep of a layer (as they were when the hold was made)
    until a day; ended as an override is."""

    hold_id: int
    account_id: str
    layer: str
    territory_id: str | None
    rep_id: str
    actor: str | None
    created_at: datetime
    until: date
    ended_at: datetime | None = None
    end_cause: str | None = None


class ChangeKind(StrEnum):
    """What made a change set: each one is a transaction that changed the live assignment."""

    ACTIVATION = "activation"
    IMPORT = "import"
    TICK = "tick"
    OVERRIDE = "override"
    HOLD = "hold"
    ROSTER = "roster"


@dataclass(frozen=True)
class StoredChangeSet:
    """One recorded change of the live assignment: who, when, what and why, and from which day."""

    change_set_id: int
    kind: ChangeKind
    at: datetime  # when it was written (UTC)
    effective: date  # the day it took effect, in the workspace's time zone
    actor: str
    summary: str  # what happened, in plain words: "plan 12 activated", "import 7 of accounts"
    plan_id: int | None  # the plan live when it was made
    changes: int  # how many (account, layer) rows changed territory or rep
