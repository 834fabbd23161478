"""`assign`, `validate` and `explain`: accounts to territories, a plan checked, one account's path."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import polars as pl
import typer

from territorial.cli import render
from territorial.cli.app import MappingOption, app, console, context_of, err, handled, workspace_of
from territorial.cli.progress import stage_bar
from territorial.errors import BadInput
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

# The exit code of a check the user asked for (--strict) that found something; 2 is bad input.
CHECK_FAILED = 3

PlanArg = Annotated[Path, typer.Argument(help="Plan YAML file.")]


@app.command()
@handled
def assign(
    ctx: typer.Context,
    plan: Annotated[Path | None, typer.Argument(help="Plan YAML file (with --accounts).")] = None,
    accounts: Annotated[Path | None, typer.Option("--accounts", help="Accounts CSV or Parquet.")] = None,
    plan_id: Annotated[
        int | None, typer.Option("--plan", help="A stored plan's id: assign the workspace's accounts.")
    ] = None,
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
) -> None:
    """Assign every account to its territory and rep, with overlaps, ties and reasons.

    Either PLAN --accounts FILE (files), or --plan ID (the workspace's accounts; the run is stored)."""
    folder = output_folder(exceptions) if exceptions is not None else None  # before any work
    if plan_id is not None:
        if plan is not None or accounts is not None or reps is not None:
            raise BadInput.at("give either PLAN --accounts FILE or --plan ID, not both", "--plan")
        if mapping is not None:
            raise BadInput.at(
                "--mapping reads files; the workspace's records were mapped on import", "--mapping"
            )
        with stage_bar(err) as progress:
            stored = assign_plan(workspace_of(ctx), context_of(ctx), plan_id, progress)
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
    if plan is None or accounts is None:
        raise BadInput.at("give PLAN --accounts FILE, or --plan ID for a stored plan", "assign")
    with stage_bar(err) as progress:
        result = assign_files(plan, accounts, reps, progress=progress, mapping=mapping)
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


def _write_exceptions(folder: Path, lists: dict[str, pl.DataFrame]) -> None:
    for name, frame in lists.items():
        write_table(frame, folder / f"{name}.csv")
    counts = ", ".join(f"{name} {frame.height:,}" for name, frame in lists.items())
    err.print(f"exception lists in {folder}: {counts}", highlight=False)


@app.command()
@handled
def explain(
    ctx: typer.Context,
    plan: Annotated[Path | None, typer.Argument(help="Plan YAML file (with --accounts).")] = None,
    account: Annotated[str | None, typer.Option("--account", help="The account_id to explain.")] = None,
    account_name: Annotated[
        str | None, typer.Option("--account-name", help="Or the account's name (ignoring case).")
    ] = None,
    accounts: Annotated[Path | None, typer.Option("--accounts", help="Accounts CSV or Parquet.")] = None,
    reps: Annotated[
        Path | None, typer.Option("--reps", help="Reps CSV: inactive reps leave their territory.")
    ] = None,
    plan_id: Annotated[
        int | None, typer.Option("--plan", help="A stored plan's id: explain a workspace account.")
    ] = None,
) -> None:
    """Walk the plan for one account: each rule's result, why, and how the winner was chosen.

    Either PLAN --accounts FILE [--reps FILE], or --plan ID (the workspace's accounts and reps), as
    for `assign`: an inactive rep is not named, and the territory shows as vacant."""
    if (account is None) == (account_name is None):
        raise BadInput.at("give the account to explain with --account ID or --account-name NAME", "--account")
    which = AccountRef(account) if account is not None else AccountRef(str(account_name), by_name=True)
    if plan_id is not None:
        if plan is not None or accounts is not None or reps is not None:
            raise BadInput.at("give either PLAN --accounts FILE or --plan ID, not both", "--plan")
        with stage_bar(err) as progress:
            result = explain_stored(workspace_of(ctx), plan_id, which, progress)
    elif plan is None or accounts is None:
        raise BadInput.at("give PLAN --accounts FILE, or --plan ID for a stored plan", "explain")
    else:
        with stage_bar(err) as progress:
            result = explain_account(plan, accounts, which, reps, progress)
    render.warnings(err, result.warnings)
    render.explanation(console(), result.explanation)


@app.command()
@handled
def validate(
    plan: PlanArg,
    accounts: Annotated[Path | None, typer.Option("--accounts", help="Check against this file too.")] = None,
    mapping: MappingOption = None,
    strict: Annotated[
        bool, typer.Option("--strict", help="Exit 3 when some accounts match no primary territory.")
    ] = False,
) -> None:
    """Check a plan (and its fields against an accounts file); list overlaps and warnings, and count
    the accounts that match no primary territory."""
    with stage_bar(err) as progress:
        result = validate_files(plan, accounts, progress=progress, mapping=mapping)
    render.validation(console(), result)
    if strict and result.unassigned:
        raise typer.Exit(CHECK_FAILED)
