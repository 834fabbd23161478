"""Use cases on a workspace: plans, DB-backed assignment runs, and reading results back."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from territorial.domain.book import AccountBook
from territorial.domain.entities import ACCOUNTS, Entity
from territorial.domain.fields import FieldType
from territorial.domain.plan import Plan
from territorial.engine.assign import RESULT_COLUMNS, Assignment, assign
from territorial.engine.checks import check_plan
from territorial.engine.compiled import CompiledPlan
from territorial.errors import BadInput, Problem
from territorial.io.accounts import type_accounts
from territorial.io.plan_file import load_plan, parse_plan
from territorial.io.tables import RawTable
from territorial.progress import Progress, silent
from territorial.rules.to_polars import POLARS_TYPES
from territorial.services.assign import account_workload, apply_reps, with_potential
from territorial.services.potential import account_potential
from territorial.store.bulk import now
from territorial.store.unit_of_work import UnitOfWork, WorkspaceStore

ACCOUNTS_SOURCE = "workspace accounts"


@dataclass
class StoredRun:
    run_id: int
    plan: Plan
    assignment: Assignment
    warnings: list[Problem]


def add_plan(workspace: WorkspaceStore, path: str | Path) -> int:
    """Store a plan's YAML verbatim (after checking that it parses) and return its id."""
    plan = load_plan(path)
    source = Path(path).read_text(encoding="utf-8")
    with workspace.unit_of_work(write=True, lock="plans") as uow:
        return uow.plans.add(plan.name, Path(path).name, source, now())


def list_plans(workspace: WorkspaceStore) -> pl.DataFrame:
    with workspace.unit_of_work() as uow:
        plans = uow.plans.list()
    return pl.DataFrame(
        [(p.plan_id, p.name, p.file_name, p.created_at) for p in plans],
        schema={"plan_id": pl.Int64, "name": pl.String, "file_name": pl.String, "created_at": pl.Datetime},
        orient="row",
    )


def plan_reference(text: str) -> int | Path:
    """A `--plan` value: digits name a stored plan's id, anything else a plan file. A file whose name
    is all digits must be written with its folder (./2027), or it would be read as an id; a folder of
    that name (a year's folder) is no plan file and does not count."""
    value = text.strip()
    if not (value.isascii() and value.isdigit()):
        return Path(value)
    if os.path.isfile(value):  # False, not an error, for a name too long to be a file
        raise BadInput.at(
            f"'{value}' is both a stored plan's id and a file here: "
            f"write ./{value} for the file, or move to another folder for the stored plan",
            "--plan",
        )
    return int(value)


def stored_plan(uow: UnitOfWork, plan_id: int) -> Plan:
    stored = uow.plans.get(plan_id)
    if stored is None:
        raise BadInput.at(f"no plan with id {plan_id}; `territorial plan list` shows them", "--plan")
    return parse_plan(stored.source, f"plan {plan_id} ({stored.file_name})")


def load_accounts(uow: UnitOfWork, declared: dict[str, FieldType]) -> AccountBook:
    """The workspace's active accounts as an account book: core fields typed, custom fields
    typed as an accounts file's columns would be."""
    schema = {name: POLARS_TYPES[ftype] for name, ftype in ACCOUNTS.fields.items()}
    frame = uow.records.read(Entity.ACCOUNTS, schema, active_only=True)
    core = {name: ftype for name, ftype in ACCOUNTS.fields.items()}
    return type_accounts(
        RawTable(frame, ACCOUNTS_SOURCE, is_csv=False, header=frame.columns), {**core, **declared}
    )


def active_reps(uow: UnitOfWork) -> dict[str, bool] | None:
    """rep_id → active, or None when the workspace has no reps yet."""
    reps = uow.reps.list()
    return {rep.rep_id: rep.active for rep in reps} if reps else None


def assign_stored(workspace: WorkspaceStore, plan_id: int, progress: Progress = silent) -> StoredRun:
    """Assign the stored accounts to a stored plan and keep the run and its results."""
    started = now()
    with workspace.unit_of_work() as uow:
        progress(f"Reading plan {plan_id}", None)
        plan = stored_plan(uow, plan_id)
        progress("Reading the workspace's accounts", None)
        book = load_accounts(uow, plan.fields)
        reps = active_reps(uow)
    warnings = check_plan(plan, book.schema, book.field_names)
    if reps is not None:
        plan, rep_warnings = apply_reps(plan, reps, "the workspace's reps")
        warnings += rep_warnings
    workload, null_workload = account_workload(plan, book)
    progress(f"Assigning {len(book):,} accounts to {len(plan.territories):,} territories", None)
    result = assign(CompiledPlan(plan), book, workload, null_workload)
    if plan.potential is not None:
        # A stored plan has no folder of its own: a potential model file is found from here.
        progress("Working out each account's potential", None)
        potential = account_potential(plan, book, Path.cwd(), warnings)
        result.territories = with_potential(result, book, potential)
    progress(f"Storing {result.rows.height:,} results", None)
    rows = result.rows.select(
        *[c for c in RESULT_COLUMNS if c != "reason"],
        pl.Series("reason_id", result.reason_index, dtype=pl.Int64),
    )
    with workspace.unit_of_work(write=True, lock="assign") as uow:
        run_id = uow.runs.add(
            plan_id,
            started,
            result.accounts,
            result.unassigned,
            result.ties,
            result.reason_texts.to_list(),
            rows,
        )
        uow.runs.finish(run_id, now())
    return StoredRun(run_id, plan, result, warnings)


def run_results(workspace: WorkspaceStore, run_id: int) -> pl.DataFrame:
    """A stored run's rows, as `territorial assign` wrote them."""
    with workspace.unit_of_work() as uow:
        rows = uow.runs.results(run_id)
    if rows is None:
        raise BadInput.at(f"no assignment run with id {run_id}", "--run")
    layer_rank = pl.when(pl.col("layer") == "primary").then(0).otherwise(1)
    return rows.sort([pl.col("account_id"), layer_rank, pl.col("layer")]).select(RESULT_COLUMNS)
