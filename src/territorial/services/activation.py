"""Making a plan active: today at once, or on a later day through `tick`; all or nothing, in one
transaction that rewrites the live assignment, seeds the roster and archives the previous plan."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import polars as pl

from territorial.domain.book import AccountBook
from territorial.domain.lifecycle import ActivationStatus, ChangeKind, PlanState, StoredActivation
from territorial.domain.plan import Plan
from territorial.domain.plan_checks import CheckOutcome
from territorial.engine.live import PREVIOUS_COLUMNS, Live, live
from territorial.engine.workload import account_workload
from territorial.errors import BadInput, Problem, TerritorialError
from territorial.evaluate.drift import figure_rows
from territorial.progress import Progress, silent
from territorial.services.assign import account_figures, stored_in, with_figures
from territorial.services.audit import record_plan_edit
from territorial.services.change_log import write_live
from territorial.services.context import Context
from territorial.services.permissions import may_write
from territorial.services.pins import Ended, PinsFor, end_expired, first_expiry, pins_for, pools_of
from territorial.services.plan_checks import checks_on_workspace
from territorial.services.plan_files import files_to_keep
from territorial.services.plan_versions import check_version
from territorial.services.plans import keep_parsed_plan, plan_in, stored_plan
from territorial.services.roster_apply import Applied, apply_change, due_changes
from territorial.services.settings import load_settings, today
from territorial.services.unit_of_work import UnitOfWork, WorkspaceStore
from territorial.services.vacancy import covers_in
from territorial.services.workspace import open_pipeline
from territorial.store.baselines import ACTIVATION

# The lock every activation, unscheduling and tick takes: one change of the live plan at a time.
LOCK = "activation"


class ChecksFailed(TerritorialError):
    """The plan's checks failed, so it was not activated (the CLI exits 3)."""

    def __init__(self, plan_id: int, failures: list[CheckOutcome]) -> None:
        self.failures = failures
        super().__init__(
            f"plan {plan_id} was not activated: {len(failures)} of its checks failed "
            "(`territorial plan check` shows them; --skip-checks activates anyway, recorded)"
        )


def failed_checks(uow: UnitOfWork, evaluated: Evaluated, progress: Progress = silent) -> list[CheckOutcome]:
    """The plan's checks (`checks:`) that fail on the assignment activating it makes, `moved`
    against today's owners: what `territorial plan check` shows, before anything is written."""
    if not evaluated.plan.checks:
        return []
    pipeline = open_pipeline(uow)
    figured = with_figures(
        evaluated.plan, evaluated.book, evaluated.result.assignment, Path.cwd(), [], progress, pipeline
    )
    outcomes = checks_on_workspace(uow, evaluated.plan, evaluated.book, figured, progress)
    return [outcome for outcome in outcomes if not outcome.passed]


@dataclass(frozen=True)
class Evaluated:
    """A stored plan evaluated as activating it would: on the workspace's accounts, owners and reps."""

    plan_id: int
    plan: Plan
    book: AccountBook
    roster: pl.DataFrame  # territory_id, rep_id, position: the plan's reps, as activation seeds them
    result: Live
    warnings: list[Problem]
    # Overrides and holds in force that name a territory or rep the plan lacks, left out of `result`:
    # what each lacks. Activation refuses the overrides (or ends them) and ends the holds.
    stale_overrides: dict[int, tuple[str, str]] = field(default_factory=dict)
    stale_holds: dict[int, str] = field(default_factory=dict)
    # The live rows the evaluation started from (PREVIOUS_COLUMNS), none before the first activation.
    previous: pl.DataFrame | None = None


def seeded_roster(plan: Plan) -> pl.DataFrame:
    """The roster an activation seeds: each territory's `reps:`, in pool order."""
    rows = [(t.id, rep, position) for t in plan.territories for position, rep in enumerate(t.reps)]
    return pl.DataFrame(
        rows, schema={"territory_id": pl.String, "rep_id": pl.String, "position": pl.Int64}, orient="row"
    )


def evaluate_for_activation(
    uow: UnitOfWork, plan_id: int, since: date, progress: Progress = silent
) -> Evaluated:
    """What activating the plan now would make live (compare shows it; activation writes it)."""
    plan, book, warnings = stored_in(uow, plan_id, progress)
    roster = seeded_roster(plan)
    pools = pools_of(roster)
    pins = pins_for(uow, plan, set(roster.get_column("rep_id").to_list()))
    previous = uow.live.rows(PREVIOUS_COLUMNS) if uow.plans.active_id() is not None else None
    workload, null_workload = account_workload(plan, book)
    progress(f"Evaluating {len(book):,} accounts", None)
    result = live(
        book,
        plan,
        pools,
        pins.holds,
        pins.overrides,
        previous,
        workload=workload,
        null_workload=null_workload,
        cause=f"plan {plan_id} activated",
        since=since,
        vacant=covers_in(uow, plan, pools),
    )
    return Evaluated(
        plan_id, plan, book, roster, result, warnings, pins.stale_overrides, pins.stale_holds, previous
    )


@dataclass(frozen=True)
class Activated:
    """What an activation did, or scheduled."""

    plan_id: int
    activation_id: int
    effective: date
    scheduled: bool  # True: it waits for `tick` on its day
    archived: int | None = None  # the plan that was active until then
    accounts: int = 0
    changed: int = 0  # live rows whose territory or rep this activation set
    warnings: tuple[Problem, ...] = ()


def activate_plan(
    workspace: WorkspaceStore,
    ctx: Context,
    plan_id: int,
    effective: date | None = None,
    skip_checks: bool = False,
    progress: Progress = silent,
    end_stale_overrides: bool = False,
    version: str | None = None,
) -> Activated:
    """Make a draft or archived plan active from 00:00 on `effective` (default today, in the
    workspace's time zone): today at once, a later day by scheduling it for `tick`. A past day, a
    day that already has an activation, and a plan scheduled or active already are refused, and so
    are overrides naming a territory or rep the plan lacks, unless `end_stale_overrides` ends them
    (a scheduled activation is checked when it is scheduled; its tick ends those made since). With
    `version` (the API's If-Match), only the plan at that version is activated."""
    may_write(ctx.principal, "activate plans")
    now = today(ctx, load_settings())
    day = effective or now
    if day < now:
        raise BadInput.at(f"{day} is past (today is {now}): nothing is back-dated", "--effective")
    with workspace.unit_of_work(write=True, lock=LOCK) as uow:
        stored = plan_in(uow, plan_id)
        check_version(plan_id, stored.source, version)
        if stored.state in (PlanState.ACTIVE, PlanState.SCHEDULED):
            when = f" for {stored.effective}" if stored.state is PlanState.SCHEDULED else ""
            raise BadInput.at(f"plan {plan_id} is {stored.state.value}{when} already", "PLAN_ID")
        taken = uow.activations.on_day(day)
        if taken:
            raise BadInput.at(
                f"plan {taken[0].plan_id} is {taken[0].status.value} on {day}: one activation a day "
                "(`territorial plan unschedule` frees a scheduled day)",
                "--effective",
            )
        if day > now and not end_stale_overrides:
            plan = stored_plan(uow, plan_id)
            _refuse_stale(plan_id, pins_for(uow, plan, set(seeded_roster(plan).get_column("rep_id"))))
        activation_id = uow.activations.add(plan_id, day, stored.state, ctx.now(), ctx.actor, skip_checks)
        if day > now:
            uow.plans.set_state(plan_id, PlanState.SCHEDULED, day)
            record_plan_edit(uow, ctx, plan_id, f"plan {plan_id} scheduled for activation on {day}")
            return Activated(plan_id, activation_id, day, scheduled=True)
        activation = StoredActivation(
            activation_id,
            plan_id,
            day,
            ActivationStatus.SCHEDULED,
            stored.state,
            ctx.now(),
            skipped_checks=skip_checks,
        )
        return _apply(uow, ctx, activation, progress, end_stale_overrides)


def _refuse_stale(plan_id: int, pins: PinsFor) -> None:
    if pins.stale_overrides:
        listed = "; ".join(f"{who}: {lacks}" for who, lacks in pins.stale_overrides.values())
        raise BadInput.at(
            f"overrides name what plan {plan_id} lacks: {listed}. "
            "--end-stale-overrides ends them with the activation (or `territorial override remove`)",
            "PLAN_ID",
        )


def _apply(
    uow: UnitOfWork, ctx: Context, activation: StoredActivation, progress: Progress, end_stale: bool
) -> Activated:
    """The activation carried out inside the caller's transaction: all of it or, on any error, none."""
    plan_id, day = activation.plan_id, activation.effective
    evaluated = evaluate_for_activation(uow, plan_id, day, progress)
    if not end_stale:
        _refuse_stale(plan_id, PinsFor([], [], evaluated.stale_overrides, evaluated.stale_holds))
    for override_id, (_who, lacks) in evaluated.stale_overrides.items():
        uow.overrides.end([override_id], ctx.now(), f"ended by plan {plan_id}'s activation: it lacks {lacks}")
    for hold_id, lacks in evaluated.stale_holds.items():
        uow.holds.end([hold_id], ctx.now(), f"ended by plan {plan_id}'s activation: it lacks {lacks}")
    failures = [] if activation.skipped_checks else failed_checks(uow, evaluated, progress)
    if failures:
        raise ChecksFailed(plan_id, failures)
    rows = evaluated.result.rows.with_columns(
        pl.lit(activation.activation_id, pl.Int64).alias("activation_id")
    )
    progress(f"Writing {rows.height:,} live rows", None)
    summary = f"plan {plan_id} activated" + (" (its checks skipped)" if activation.skipped_checks else "")
    recorded = write_live(
        uow, ctx, ChangeKind.ACTIVATION, summary, day, evaluated.previous, rows, plan_id=plan_id
    )
    uow.roster.start(activation.activation_id, evaluated.roster, day)
    # What `drift` compares today's figures with: the territories as this activation made them.
    figures = account_figures(evaluated.plan, evaluated.book, None, [])
    uow.baselines.save(ACTIVATION, activation.activation_id, figure_rows(rows, figures))
    previous = uow.plans.active()
    if previous is not None:
        uow.plans.set_state(previous.plan_id, PlanState.ARCHIVED, previous.effective)
    uow.plans.set_state(plan_id, PlanState.ACTIVE, day)
    keep_parsed_plan(uow, plan_id)  # each import re-evaluates with it: no parsing then
    if not uow.plans.files(plan_id):  # a plan stored before plans kept their files: keep them now
        uow.plans.keep_files(plan_id, files_to_keep(evaluated.plan, Path.cwd())[0])
    uow.activations.mark(activation.activation_id, ActivationStatus.APPLIED, ctx.now())
    return Activated(
        plan_id,
        activation.activation_id,
        day,
        scheduled=False,
        archived=None if previous is None else previous.plan_id,
        accounts=len(evaluated.book),
        changed=recorded.changes,
        warnings=tuple(evaluated.warnings),
    )


@dataclass(frozen=True)
class Ticked:
    """What a tick applied, in date order: activations, the overrides and holds it ended, and the
    roster changes it made (or cancelled, when the plan in force no longer allows them)."""

    activations: list[Activated]
    ended: list[Ended]
    roster: list[Applied] = field(default_factory=list)


def tick(
    workspace: WorkspaceStore, ctx: Context, on: date | None = None, progress: Progress = silent
) -> Ticked:
    """Apply what is due by `on` (default today) in date order, each day's change in a transaction of
    its own: the overrides and holds whose `until` has come end (before an activation of the same
    day), the scheduled activations take effect (ending the overrides and holds that name what
    the plan lacks: the check was made when it was scheduled), then the roster changes of the day
    (after an activation of that day, which seeds a new roster)."""
    day = on or today(ctx, load_settings())
    done = Ticked([], [])
    while True:
        with workspace.unit_of_work(write=True, lock=LOCK) as uow:
            due = uow.activations.due(day)
            expiry = first_expiry(uow, day)
            roster = due_changes(uow, day)
            first = min([*(d.effective for d in due[:1]), *(c.effective for c in roster[:1])], default=None)
            if expiry is not None and (first is None or expiry <= first):
                done.ended.extend(end_expired(uow, ctx, expiry))
                continue
            if first is None:
                return done
            if due and due[0].effective == first:
                done.activations.append(_apply(uow, ctx, due[0], progress, end_stale=True))
            else:
                done.roster.append(apply_change(uow, ctx, roster[0], progress))


def unschedule_plan(
    workspace: WorkspaceStore, ctx: Context, plan_id: int, version: str | None = None
) -> date:
    """Cancel a plan's scheduled activation: the plan is what it was before (a draft, or archived).
    The day it was scheduled for."""
    may_write(ctx.principal, "unschedule plans")
    with workspace.unit_of_work(write=True, lock=LOCK) as uow:
        stored = plan_in(uow, plan_id)
        check_version(plan_id, stored.source, version)
        scheduled = uow.activations.scheduled_of(plan_id)
        if stored.state is not PlanState.SCHEDULED or scheduled is None:
            raise BadInput.at(f"plan {plan_id} is {stored.state.value}, not scheduled", "PLAN_ID")
        uow.activations.mark(scheduled.activation_id, ActivationStatus.CANCELLED)
        applied = [
            a.effective
            for a in uow.activations.history()
            if a.plan_id == plan_id and a.status is ActivationStatus.APPLIED
        ]
        uow.plans.set_state(plan_id, scheduled.from_state, applied[-1] if applied else None)
        what = f"plan {plan_id}'s activation on {scheduled.effective} cancelled"
        record_plan_edit(uow, ctx, plan_id, what)
    return scheduled.effective
