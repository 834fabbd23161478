"""Use case: run a plan's checks (`checks:`) on the assignment it makes, of the workspace's accounts
or of an accounts file, and say which failed with their figures."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from territorial.domain.assignment import Assignment
from territorial.domain.book import AccountBook
from territorial.domain.fields import ACCOUNT_ID, OWNER_ID
from territorial.domain.plan import PRIMARY, Plan
from territorial.domain.plan_checks import BASELINE_FIGURES, PIPELINE_FIGURES, CheckOutcome
from territorial.engine.plan_checks import check_tables, run_checks
from territorial.errors import BadInput, Location, Problem
from territorial.io.baseline import read_baseline
from territorial.io.reps import read_reps
from territorial.progress import Progress, silent
from territorial.rules.ast import field_refs
from territorial.services.assign import assign_book, load_checked, load_workspace_book, with_reps
from territorial.services.context import Context
from territorial.services.permissions import may_plan
from territorial.services.plans import resolve_plan
from territorial.services.unit_of_work import UnitOfWork, WorkspaceStore
from territorial.services.workspace import open_pipeline

# What `moved` compares with in the workspace: each account's owner, which is its primary live rep
# once a plan is active (services.workspace.load_accounts), else the CRM's owner_id.
OWNERS_BASELINE = "each account's owner in the workspace (its live rep while a plan is active)"
NEEDS_BASELINE = (
    "{name} needs a baseline: give --baseline FILE (an assignments file as `territorial assign "
    "--out` writes it)"
)
NEEDS_WORKSPACE = (
    "{name} is the workspace's open opportunities, which an accounts file does not carry: check "
    "against the workspace (`territorial plan check PLAN` without --accounts)"
)


@dataclass
class PlanChecked:
    """A plan's checks run: each outcome in the plan's order, and what `moved` was measured against."""

    plan: Plan
    outcomes: list[CheckOutcome]
    baseline: str | None  # in words; None when there was none
    warnings: list[Problem] = field(default_factory=list)

    @property
    def failed(self) -> list[CheckOutcome]:
        return [outcome for outcome in self.outcomes if not outcome.passed]


def check_plan_files(
    plan_ref: str | int | Path,
    accounts_path: str | Path,
    reps_path: str | Path | None = None,
    baseline_path: str | Path | None = None,
    mapping: str | Path | None = None,
    workspace: WorkspaceStore | None = None,
    progress: Progress = silent,
    option: str = "--plan",
) -> PlanChecked:
    """A plan's checks on an accounts file (and a reps file), for a team's own CI: no workspace
    needed unless `plan_ref` is a stored plan's id. `moved` compares with `baseline_path`. Errors
    about the plan name `option`."""
    checked = load_checked(plan_ref, accounts_path, progress, mapping, workspace, option=option)
    _refuse_unavailable(checked.plan, baseline=baseline_path is not None, pipeline=False)
    if not checked.plan.checks:
        return PlanChecked(checked.plan, [], None, checked.warnings)
    reps = read_reps(reps_path, mapping) if reps_path is not None else None
    plan, book, warnings = with_reps(checked, reps, str(reps_path))
    baseline = read_baseline(baseline_path) if baseline_path is not None else None
    result = assign_book(plan, book, checked.folder, warnings, progress)
    capacity = {rep.rep_id: rep.capacity for rep in reps or []}
    outcomes = _run(plan, result, capacity, None, baseline, progress)
    return PlanChecked(plan, outcomes, str(baseline_path) if baseline_path else None, warnings)


def check_plan_workspace(
    workspace: WorkspaceStore,
    plan_ref: str | int | Path,
    baseline_path: str | Path | None = None,
    progress: Progress = silent,
    option: str = "--plan",
) -> PlanChecked:
    """A plan's checks (a stored plan or a plan file, not stored) on the workspace's accounts and
    reps and their open pipeline. `moved` compares with `baseline_path`, else with each account's
    owner_id (OWNERS_BASELINE)."""
    resolved = resolve_plan(workspace, plan_ref, option)
    if not resolved.plan.checks:
        return PlanChecked(resolved.plan, [], None)
    plan, book, warnings = load_workspace_book(workspace, resolved.plan, progress)
    with workspace.unit_of_work() as uow:
        pipeline, capacity = _workspace_figures(uow)
    baseline = read_baseline(baseline_path) if baseline_path is not None else _owners(book)
    result = assign_book(plan, book, resolved.folder, warnings, progress, pipeline)
    outcomes = _run(plan, result, capacity, pipeline, baseline, progress)
    return PlanChecked(plan, outcomes, str(baseline_path) if baseline_path else OWNERS_BASELINE, warnings)


def checks_on_workspace(
    uow: UnitOfWork, plan: Plan, book: AccountBook, result: Assignment, progress: Progress = silent
) -> list[CheckOutcome]:
    """The plan's checks on an assignment of the workspace's accounts already made (activation's,
    inside its transaction), `moved` against each account's owner as `book` holds it."""
    if not plan.checks:
        return []
    pipeline, capacity = _workspace_figures(uow)
    return _run(plan, result, capacity, pipeline, _owners(book), progress)


def _workspace_figures(uow: UnitOfWork) -> tuple[pl.DataFrame, dict[str, float]]:
    """The workspace's open pipeline per account and each rep's capacity, as the checks read them."""
    pipeline = open_pipeline(uow)
    if pipeline is None:  # no opportunities: every account's open pipeline is 0
        pipeline = pl.DataFrame(schema={"account_id": pl.String, "value": pl.Float64})
    return pipeline, {rep.rep_id: rep.capacity for rep in uow.reps.list()}


def _run(
    plan: Plan,
    result: Assignment,
    capacity: dict[str, float],
    pipeline: pl.DataFrame | None,
    baseline: pl.DataFrame | None,
    progress: Progress,
) -> list[CheckOutcome]:
    progress(f"Running {len(plan.checks):,} checks", None)
    return run_checks(plan.checks, check_tables(plan, result, capacity, pipeline, baseline))


def _owners(book: AccountBook) -> pl.DataFrame:
    """The workspace's baseline: each account's owner_id as its primary rep."""
    ids = book.frame.get_column(book.columns[ACCOUNT_ID]).cast(pl.String)
    owners = (
        book.frame.get_column(book.columns[OWNER_ID]).cast(pl.String)
        if OWNER_ID in book.columns
        else pl.repeat(None, len(book), dtype=pl.String, eager=True)
    )
    return pl.DataFrame({"account_id": ids, "layer": PRIMARY, "rep_id": owners})


def _refuse_unavailable(plan: Plan, baseline: bool, pipeline: bool) -> None:
    """Before assigning: every check reading a figure whose source is not given, located at the
    first place its rule reads one."""
    missing = {
        **({} if baseline else dict.fromkeys(BASELINE_FIGURES, NEEDS_BASELINE)),
        **({} if pipeline else dict.fromkeys(PIPELINE_FIGURES, NEEDS_WORKSPACE)),
    }
    problems = []
    for check in plan.checks:
        refs = [ref for ref in field_refs(check.rule) if ref.name in missing]
        if refs:
            line, column = check.source.position(refs[0].pos)
            message = missing[refs[0].name].format(name=refs[0].name)
            problems.append(Problem(Location(plan.file, line, column, check.name), message))
    if problems:
        raise BadInput(problems)


def check_stored_plan(workspace: WorkspaceStore, ctx: Context, plan_id: int) -> PlanChecked:
    """A stored plan's checks on the workspace, for an admin or a planner (they cover every account)."""
    may_plan(ctx.principal, "check plans")
    return check_plan_workspace(workspace, plan_id, option="plan_id")
