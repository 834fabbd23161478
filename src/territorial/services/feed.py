"""A rep's feed: what the change log says changed for them, change set by change set, and what a
scheduled activation would change for them ("planned"), in plain words."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import polars as pl

from territorial.domain.lifecycle import ActivationStatus
from territorial.engine.feed import FeedEntry, phrases_for
from territorial.engine.live_changes import changes_between
from territorial.errors import BadInput
from territorial.services.activation import evaluate_for_activation
from territorial.services.context import Context
from territorial.services.unit_of_work import UnitOfWork, WorkspaceStore


def done_entries(
    uow: UnitOfWork, rep_id: str, change_set_ids: Sequence[int] | None = None, who: str | None = None
) -> list[FeedEntry]:
    """The rep's entries of some change sets (default all) in change set order; each tells what the
    change set changed for the rep, addressed to them ("you gain") or naming them (`who`)."""
    rows = uow.changes.rows(change_set_ids, rep_id=rep_id)
    sets = {s.change_set_id: s for s in uow.changes.sets()}
    entries = []
    for part in rows.partition_by("change_set_id", maintain_order=True):
        made = sets[int(part.item(0, "change_set_id"))]
        phrases = phrases_for(rep_id, part, who=who, said=made.summary)
        entries.append(FeedEntry(made.change_set_id, made.effective, made.summary, False, phrases))
    return entries


def planned_entries(uow: UnitOfWork, rep_id: str) -> list[FeedEntry]:
    """What each scheduled activation would change for the rep if it took effect now: the movers
    `plan compare active ID` shows, with the cause the activation will record."""
    entries = []
    for activation in uow.activations.history():
        if activation.status is not ActivationStatus.SCHEDULED:
            continue
        evaluated = evaluate_for_activation(uow, activation.plan_id, activation.effective)
        before = evaluated.previous
        if before is None:
            before = pl.DataFrame(
                schema=dict.fromkeys(["account_id", "layer", "territory_id", "rep_id"], pl.String)
            )
        cause = f"plan {activation.plan_id} activated"  # what the activation will record
        changed = changes_between(before, evaluated.result.rows)
        phrases = phrases_for(rep_id, changed, planned=True, said=cause)
        if phrases:
            summary = f"plan {activation.plan_id} scheduled"
            entries.append(FeedEntry(None, activation.effective, summary, True, phrases))
    return entries


def rep_feed(
    workspace: WorkspaceStore, ctx: Context, rep_id: str, since: date | None = None
) -> list[FeedEntry]:
    """The rep's feed, oldest first: the change sets that changed their book (effective on or after
    `since`), then the scheduled activations that would. A rep the workspace never knew is bad input."""
    with workspace.unit_of_work() as uow:
        known = {rep.rep_id for rep in uow.reps.list()}
        done = done_entries(uow, rep_id)
        if rep_id not in known and not done:
            raise BadInput.at(f"no rep {rep_id!r} in the workspace or its change log", "--rep")
        planned = planned_entries(uow, rep_id)
    return [e for e in done + planned if since is None or e.effective >= since]
