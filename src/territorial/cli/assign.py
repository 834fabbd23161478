"""`assign`, `validate` and `explain`: accounts to territories, a plan checked, one account's path."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Protocol

import polars as pl
import typer

from territorial.cli import render
from territorial.cli.app import (
    CHECK_FAILED,
    MappingOption,
    app,
    console,
    context_of,
    err,
    handled,
    workspace_of,
)
from territorial.cli.engine_options import (
    MemoryLimitOption,
    SingleFileOption,
    SparkMasterOption,
    no_engine_options,
)
from territorial.cli.progress import stage_bar
from territorial.errors import BadInput, Problem
from territorial.io.output import output_folder, write_table
from territorial.services.assign import (
    AccountRef,
    assign_files,
    assign_plan,
    assignment_exceptions,
    explain_account,
    explain_stored,
    validate_files,
)
from territorial.services.live_explain import explain_live
from territorial.services.plans import add_plan, plan_reference
from territorial.services.scale_assign import assign_at_scale

PlanArg = Annotated[Path | None, typer.Argument(help="Plan YAML file (or --plan ID|FILE).")]
PlanOption = Annotated[
    str | None, typer.Option("--plan", help="A stored plan's id or a plan file (as the PLAN argument).")
]


def one_plan(positional: Path | None, option: str | None) -> str | Path:
    """The plan a command is given, as PLAN or as --plan ID|FILE: one of them."""
    if positional is not None and option is not None:
        raise BadInput.at("give the plan once: as PLAN or as --plan ID|FILE", "--plan")
    if positional is None and option is None:
        raise BadInput.at("give a plan: PLAN (a file) or --plan ID|FILE", "--plan")
    return positional if positional is not None else str(option)


def no_files_without_accounts(reps: Path | None, mapping: str | None) -> None:
    """Without --accounts a command reads the workspace's accounts and reps, so --reps and --mapping,
    which read files, have nothing to apply to."""
    if reps is not None or mapping is not None:
        raise BadInput.at(
            "--reps and --mapping read files; without --accounts the workspace's accounts and reps are used",
            "--reps" if reps is not None else "--mapping",
        )


@app.command()
@handled
def assign(
    ctx: typer.Context,
    plan: PlanArg = None,
    accounts: Annotated[Path | None, typer.Option("--accounts", help="Accounts CSV or Parquet.")] = None,
    plan_option: PlanOption = None,
    reps: Annotated[
        Path | None, typer.Option("--reps", help="Reps CSV: rep_id, name, email, active.")
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Result file (.csv or .parquet); stdout if left out.")
    ] = None,
    summary: Annotated[
        Path | None, typer.Option("--summary", help="Write the per-territory summary here.")
    ] = None,
    mapping: MappingOption = None,
    exceptions: Annotated[
        Path | None,
        typer.Option(
            "--exceptions",
            help="Folder (made if missing, not its parents) for the exception lists: unassigned.csv, "
            "vacant.csv, empty_fields.csv, ties.csv.",
        ),
    ] = None,
    engine: Annotated[
        str | None,
        typer.Option(
            "--engine",
            help="local, duckdb or spark: read --accounts as Parquet (a file, a folder or a glob) and "
            "write --out as Parquet, sorted by account_id and layer. duckdb runs out of core; spark "
            "on --spark-master (needs the [spark] extra).",
        ),
    ] = None,
    single_file: SingleFileOption = None,
    partition_by: Annotated[
        str | None,
        typer.Option(
            "--partition-by", help="With --engine: a folder per value of layer, territory_id or rep_id."
        ),
    ] = None,
    memory_limit: MemoryLimitOption = None,
    spark_master: SparkMasterOption = None,
) -> None:
    """Assign every account to its territory and rep, with overlaps, ties and reasons.

    The plan is PLAN or --plan ID|FILE (a stored plan's id or a plan file). With --accounts FILE it
    is a file run and nothing is stored; without, the workspace's accounts are assigned and the run
    is stored (a plan file is stored first, so that the run can name it). With --engine, the file
    form runs on that engine: Parquet in, Parquet out, nothing stored."""
    reference = one_plan(plan, plan_option)
    if engine is not None:
        options = {"--reps": reps, "--summary": summary, "--mapping": mapping, "--exceptions": exceptions}
        given = next((name for name, value in options.items() if value is not None), None)
        if given is not None:
            raise BadInput.at(f"{given} is not available with --engine (it writes the rows only)", given)
        if accounts is None or out is None:
            raise BadInput.at("--engine assigns a Parquet file: give --accounts and --out", "--engine")
        _assign_at_scale(
            ctx, reference, accounts, out, engine, single_file, partition_by, memory_limit, spark_master
        )
        return
    no_engine_options(single_file, partition_by, memory_limit, spark_master)
    folder = output_folder(exceptions) if exceptions is not None else None  # before any work
    if accounts is None:
        no_files_without_accounts(reps, mapping)
        target = plan_reference(reference, workspace_of(ctx))
        with stage_bar(err) as progress:
            if isinstance(target, Path):  # its warnings come with the run's, below
                target = add_plan(workspace_of(ctx), context_of(ctx), target)
                err.print(f"stored the plan as plan {target}")
            stored = assign_plan(workspace_of(ctx), context_of(ctx), target, progress)
            if out is not None:
                write_table(stored.assignment.rows, out)
            if summary is not None:
                write_table(stored.assignment.territories, summary)
        render.warnings(err, stored.warnings)
        render.assignment_summary(err, stored.assignment)
        render.rep_books(err, stored.assignment.reps)
        if folder is not None:
            _write_exceptions(folder, assignment_exceptions(stored.plan, stored.book, stored.assignment))
        print(stored.run_id)
        export = f"`territorial export assignments --run {stored.run_id}`"
        err.print(f"stored as run {stored.run_id}; {export} writes it out")
        return
    workspace = workspace_of(ctx) if isinstance(plan_reference(reference, workspace_of(ctx)), int) else None
    with stage_bar(err) as progress:
        result = assign_files(reference, accounts, reps, progress, mapping, workspace)
        progress(f"Writing {result.assignment.rows.height:,} rows", None)
        write_table(result.assignment.rows, out)
        if summary is not None:
            write_table(result.assignment.territories, summary)
    render.warnings(err, result.warnings)
    render.assignment_summary(err, result.assignment)
    render.rep_books(err, result.assignment.reps)
    if folder is not None:
        _write_exceptions(folder, assignment_exceptions(result.plan, result.book, result.assignment))
    if out is not None:
        err.print(f"wrote {result.assignment.rows.height:,} rows to {out}")


def _assign_at_scale(
    ctx: typer.Context,
    reference: str | Path,
    accounts: Path,
    out: Path,
    engine: str,
    single_file: bool | None,
    partition_by: str | None,
    memory_limit: str | None,
    spark_master: str | None,
) -> None:
    workspace = workspace_of(ctx) if isinstance(plan_reference(reference, workspace_of(ctx)), int) else None
    with stage_bar(err) as progress:
        totals = assign_at_scale(
            reference,
            accounts,
            out,
            engine,
            single_file,
            partition_by,
            memory_limit,
            progress,
            workspace,
            spark_master,
        )
    said_totals(totals, out, engine)


class RunCounts(Protocol):
    """What a run on an engine counts (the service's AssignTotals)."""

    @property
    def accounts(self) -> int: ...
    @property
    def rows(self) -> int: ...
    @property
    def unassigned(self) -> int: ...
    @property
    def ties(self) -> int: ...
    @property
    def skipped_on_null(self) -> int: ...
    @property
    def warnings(self) -> list[Problem]: ...


def said_totals(totals: RunCounts, out: object, engine: str) -> None:
    """What a run on an engine tells the user: its warnings and counts (the rows are in `out`)."""
    render.warnings(err, totals.warnings)
    err.print(
        f"{totals.accounts:,} accounts: {totals.unassigned:,} in no primary territory, {totals.ties:,} ties, "
        f"{totals.skipped_on_null:,} with a rule UNKNOWN on empty fields; "
        f"wrote {totals.rows:,} rows to {out} (engine {engine})",
        highlight=False,
    )


def _write_exceptions(folder: Path, lists: dict[str, pl.DataFrame]) -> None:
    for name, frame in lists.items():
        write_table(frame, folder / f"{name}.csv")
    counts = ", ".join(f"{name} {frame.height:,}" for name, frame in lists.items())
    err.print(f"exception lists in {folder}: {counts}", highlight=False)


@app.command()
@handled
def explain(
    ctx: typer.Context,
    plan: PlanArg = None,
    account: Annotated[str | None, typer.Option("--account", help="The account_id to explain.")] = None,
    account_name: Annotated[
        str | None, typer.Option("--account-name", help="Or the account's name (ignoring case).")
    ] = None,
    accounts: Annotated[Path | None, typer.Option("--accounts", help="Accounts CSV or Parquet.")] = None,
    reps: Annotated[
        Path | None, typer.Option("--reps", help="Reps CSV: inactive reps leave their territory.")
    ] = None,
    plan_option: PlanOption = None,
    mapping: MappingOption = None,
) -> None:
    """Walk the plan for one account: each rule's result, why, and how the winner was chosen.

    Either PLAN --accounts FILE [--reps FILE], or --plan ID (the workspace's accounts and reps), as
    for `assign`: an inactive rep is not named, and the territory shows as vacant. With no plan, the
    workspace's active plan, with the steps of the account's live rows (rules, hold, override, pool)
    and the cause of each."""
    if (account is None) == (account_name is None):
        raise BadInput.at("give the account to explain with --account ID or --account-name NAME", "--account")
    which = AccountRef(account) if account is not None else AccountRef(str(account_name), by_name=True)
    if plan is None and plan_option is None and accounts is None and reps is None and mapping is None:
        with stage_bar(err) as progress:
            live = explain_live(workspace_of(ctx), context_of(ctx), which, progress)
        render.warnings(err, live.warnings)
        render.explanation(console(), live.explanation)
        return
    reference = one_plan(plan, plan_option)
    target = plan_reference(reference, workspace_of(ctx))
    if accounts is None:
        no_files_without_accounts(reps, mapping)
        if isinstance(target, Path):
            raise BadInput.at(
                "a plan file explains an accounts file (--accounts FILE); for the workspace's accounts "
                "give a stored plan: --plan ID (`territorial plan add` stores one)",
                "--plan",
            )
        with stage_bar(err) as progress:
            result = explain_stored(workspace_of(ctx), target, which, progress)
    else:
        workspace = workspace_of(ctx) if isinstance(target, int) else None
        with stage_bar(err) as progress:
            result = explain_account(reference, accounts, which, reps, progress, workspace, mapping)
    render.warnings(err, result.warnings)
    render.explanation(console(), result.explanation)


@app.command()
@handled
def validate(
    ctx: typer.Context,
    plan: PlanArg = None,
    plan_option: PlanOption = None,
    accounts: Annotated[Path | None, typer.Option("--accounts", help="Check against this file too.")] = None,
    mapping: MappingOption = None,
    strict: Annotated[
        bool, typer.Option("--strict", help="Exit 3 when some accounts match no primary territory.")
    ] = False,
) -> None:
    """Check a plan (and its fields against an accounts file); list overlaps and warnings, and count
    the accounts that match no primary territory."""
    with stage_bar(err) as progress:
        reference = one_plan(plan, plan_option)
        workspace = (
            workspace_of(ctx) if isinstance(plan_reference(reference, workspace_of(ctx)), int) else None
        )
        result = validate_files(reference, accounts, progress, mapping, workspace)
    render.validation(console(), result)
    if strict and result.unassigned:
        raise typer.Exit(CHECK_FAILED)
