"""Who covers each vacant territory of a plan, from its managers and the `vacant_owner` setting."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from territorial.domain.plan import Plan
from territorial.domain.roster import RosterChangeKind, RosterChangeStatus
from territorial.engine.vacancy import Cover, vacancy_covers
from territorial.services.settings import load_settings
from territorial.services.unit_of_work import UnitOfWork


def covers_in(uow: UnitOfWork, plan: Plan, pools: Mapping[str, Sequence[str]]) -> dict[str, Cover]:
    """territory_id -> who takes its accounts, for the plan's territories whose pool is empty. A
    manager covers while an active rep who has not left (`rep leave`, and no join since)."""
    last: dict[str, RosterChangeKind] = {}
    for change in uow.roster_changes.all():
        if change.status is RosterChangeStatus.APPLIED:
            last[change.rep_id] = change.kind
    active = {
        rep.rep_id
        for rep in uow.reps.list()
        if rep.active and last.get(rep.rep_id) is not RosterChangeKind.LEAVE
    }
    return vacancy_covers(plan, pools, active, load_settings().vacant_owner)
