"""Use cases on a workspace: plans, DB-backed assignment runs, and reading results back."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import polars as pl
from sqlalchemy import Connection, func, insert, select, update

from territorial.domain.entities import ACCOUNTS, REPS
from territorial.domain.fields import FieldType
from territorial.domain.plan import Plan
from territorial.engine.assign import RESULT_COLUMNS, Assignment, assign
from territorial.engine.checks import check_plan
from territorial.engine.compiled import CompiledPlan
from territorial.errors import BadInput, Problem
from territorial.io.accounts import AccountBook, type_accounts
from territorial.io.plan_file import load_plan, parse_plan
from territorial.io.tables import RawTable
from territorial.rules.to_polars import POLARS_TYPES
from territorial.services.assign import Stage, _quiet, account_workload, apply_reps, with_potential
from territorial.services.potential import account_potential
from territorial.store import tables
from territorial.store.bulk import insert_frame, now, read_frame
from territorial.store.workspace import Workspace

ACCOUNTS_SOURCE = "workspace accounts"


@dataclass
class StoredRun:
    run_id: int
    plan: Plan
    assignment: Assignment
    warnings: list[Problem]


def add_plan(workspace: Workspace, path: str | Path) -> int:
    """Store a plan's YAML verbatim (after checking that it parses) and return its id."""
    plan = load_plan(path)
    source = Path(path).read_text(encoding="utf-8")
    with workspace.writing("plans") as connection:
        result = connection.execute(
            insert(tables.plans)
            .values(name=plan.name, file_name=Path(path).name, source=source, created_at=now())
            .returning(tables.plans.c.plan_id)
        )
        return int(result.scalar_one())


def list_plans(workspace: Workspace) -> pl.DataFrame:
    with workspace.reading() as connection:
        rows = connection.execute(
            select(
                tables.plans.c.plan_id,
                tables.plans.c.name,
                tables.plans.c.file_name,
                tables.plans.c.created_at,
            ).order_by(tables.plans.c.plan_id)
        ).all()
    return pl.DataFrame(
        rows,
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


def stored_plan(connection: Connection, plan_id: int) -> Plan:
    # An id beyond a 64-bit integer is in no table, and the database drivers refuse to compare with it.
    row = (
        connection.execute(
            select(tables.plans.c.source, tables.plans.c.file_name).where(tables.plans.c.plan_id == plan_id)
        ).first()
        if plan_id < 2**63
        else None
    )
    if row is None:
        raise BadInput.at(f"no plan with id {plan_id}; `territorial plan list` shows them", "--plan")
    return parse_plan(row.source, f"plan {plan_id} ({row.file_name})")


def load_accounts(connection: Connection, declared: dict[str, FieldType]) -> AccountBook:
    """The workspace's active accounts as an account book: core fields typed, custom fields
    typed as an accounts file's columns would be."""
    schema = {name: POLARS_TYPES[ftype] for name, ftype in ACCOUNTS.fields.items()}
    frame = read_frame(
        connection,
        tables.ENTITY_TABLES[ACCOUNTS.entity],
        {**schema, tables.CUSTOM: pl.String()},
        where=f"WHERE {tables.ACTIVE}",
    )
    custom = frame.get_column(tables.CUSTOM)
    frame = frame.drop(tables.CUSTOM)
    if custom.null_count() < custom.len():
        decoded = custom.str.json_decode(infer_schema_length=None)
        frame = frame.hstack(decoded.struct.unnest().select(pl.all().cast(pl.String)))
    core = {name: ftype for name, ftype in ACCOUNTS.fields.items()}
    return type_accounts(
        RawTable(frame, ACCOUNTS_SOURCE, is_csv=False, header=frame.columns), {**core, **declared}
    )


def active_reps(connection: Connection) -> dict[str, bool] | None:
    """rep_id → active, or None when the workspace has no reps yet."""
    rows = connection.execute(
        select(tables.ENTITY_TABLES[REPS.entity].c.rep_id, tables.ENTITY_TABLES[REPS.entity].c.active)
    ).all()
    return {row.rep_id: bool(row.active) for row in rows} if rows else None


def assign_stored(workspace: Workspace, plan_id: int, stage: Stage = _quiet) -> StoredRun:
    """Assign the stored accounts to a stored plan and keep the run and its results."""
    started = now()
    with workspace.reading() as connection:
        stage(f"Reading plan {plan_id}")
        plan = stored_plan(connection, plan_id)
        stage("Reading the workspace's accounts")
        book = load_accounts(connection, plan.fields)
        reps = active_reps(connection)
    warnings = check_plan(plan, book.schema, book.field_names)
    if reps is not None:
        plan, rep_warnings = apply_reps(plan, reps, "the workspace's reps")
        warnings += rep_warnings
    workload, null_workload = account_workload(plan, book)
    stage(f"Assigning {len(book):,} accounts to {len(plan.territories):,} territories")
    result = assign(CompiledPlan(plan), book, workload, null_workload)
    if plan.potential is not None:
        # A stored plan has no folder of its own: a potential model file is found from here.
        stage("Working out each account's potential")
        potential = account_potential(plan, book, Path.cwd(), warnings)
        result.territories = with_potential(result, book, potential)
    stage(f"Storing {result.rows.height:,} results")
    with workspace.writing("assign") as connection:
        run_id = int(
            connection.execute(
                insert(tables.assignment_runs)
                .values(
                    plan_id=plan_id,
                    started_at=started,
                    accounts=result.accounts,
                    unassigned=result.unassigned,
                    ties=result.ties,
                )
                .returning(tables.assignment_runs.c.run_id)
            ).scalar_one()
        )
        reasons = pl.DataFrame({"text": result.reason_texts}).with_row_index("reason_id")
        insert_frame(
            connection,
            tables.run_reasons,
            reasons.select(pl.lit(run_id).alias("run_id"), pl.col("reason_id").cast(pl.Int64), "text"),
        )
        rows = result.rows.select(
            pl.lit(run_id).alias("run_id"),
            *[c for c in RESULT_COLUMNS if c != "reason"],
            pl.Series("reason_id", result.reason_index, dtype=pl.Int64),
        )
        insert_frame(connection, tables.assignment_results, rows)
        connection.execute(
            update(tables.assignment_runs)
            .where(tables.assignment_runs.c.run_id == run_id)
            .values(finished_at=now())
        )
    return StoredRun(run_id, plan, result, warnings)


def run_results(workspace: Workspace, run_id: int) -> pl.DataFrame:
    """A stored run's rows, as `territorial assign` wrote them."""
    schema = {
        "account_id": pl.String(),
        "layer": pl.String(),
        "territory_id": pl.String(),
        "territory_name": pl.String(),
        "rep_id": pl.String(),
        "overlaps": pl.String(),
        "tie": pl.Boolean(),
        "workload": pl.Float64(),
        "reason_id": pl.Int64(),
    }
    with workspace.reading() as connection:
        exists = connection.execute(
            select(func.count())
            .select_from(tables.assignment_runs)
            .where(tables.assignment_runs.c.run_id == run_id)
        ).scalar_one()
        if not exists:
            raise BadInput.at(f"no assignment run with id {run_id}", "--run")
        where = f"WHERE run_id = {int(run_id)}"
        rows = read_frame(connection, tables.assignment_results, schema, where)
        reasons = read_frame(
            connection, tables.run_reasons, {"reason_id": pl.Int64(), "text": pl.String()}, where
        )
    layer_rank = pl.when(pl.col("layer") == "primary").then(0).otherwise(1)
    return (
        rows.join(reasons.rename({"text": "reason"}), on="reason_id", how="left")
        .sort([pl.col("account_id"), layer_rank, pl.col("layer")])
        .select(RESULT_COLUMNS)
    )
