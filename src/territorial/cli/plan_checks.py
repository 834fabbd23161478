"""`territorial plan check`: run a plan's `checks:` and name each failure with its figures."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from territorial.cli import render
from territorial.cli.app import CHECK_FAILED, MappingOption, console, err, handled, workspace_of
from territorial.cli.assign import no_files_without_accounts
from territorial.cli.check_render import failures
from territorial.cli.plans import plan_app
from territorial.cli.progress import stage_bar
from territorial.domain.plan_checks import BASELINE_FIGURES
from territorial.services.plan_checks import PlanChecked, check_plan_files, check_plan_workspace
from territorial.services.plans import plan_reference

# The plan is the command's argument, not --plan: errors about it name the argument as --help does.
PLAN_ARGUMENT = "PLAN"


@plan_app.command("check")
@handled
def plan_check(
    ctx: typer.Context,
    plan: Annotated[str, typer.Argument(help="A stored plan's id or a plan file.")],
    accounts: Annotated[
        Path | None, typer.Option("--accounts", help="Accounts CSV or Parquet (default: the workspace's).")
    ] = None,
    reps: Annotated[
        Path | None, typer.Option("--reps", help="Reps file, with --accounts: inactive reps get nothing.")
    ] = None,
    baseline: Annotated[
        Path | None,
        typer.Option(
            "--baseline",
            help="What `moved` compares with: an assignments file as `assign --out` writes it (.csv or "
            ".parquet). In the workspace the default is each account's owner (its live rep while a "
            "plan is active).",
        ),
    ] = None,
    mapping: MappingOption = None,
) -> None:
    """Run the plan's checks: each must be TRUE on every row of its table (plan, territory or rep).

    Without --accounts, on the workspace's accounts, reps and open pipeline; with --accounts FILE
    [--reps FILE] [--baseline FILE], on files only, for a team's own CI. Exits 3 when a check
    fails, naming each failed row with its figures."""
    target = plan_reference(plan, option=PLAN_ARGUMENT)
    with stage_bar(err) as progress:
        if accounts is None:
            no_files_without_accounts(reps, mapping)
            result = check_plan_workspace(workspace_of(ctx), target, baseline, progress, PLAN_ARGUMENT)
        else:
            workspace = workspace_of(ctx) if isinstance(target, int) else None
            result = check_plan_files(
                target, accounts, reps, baseline, mapping, workspace, progress, PLAN_ARGUMENT
            )
    render.warnings(err, result.warnings)
    if not result.outcomes:
        err.print(f"{escape(result.plan.file)} has no checks: add `checks:` to the plan (see the README)")
        return
    out = console()
    outcomes_table(out, result)
    for outcome in result.failed:
        failures(out, outcome)
    reads_baseline = any(set(o.check.reads) & set(BASELINE_FIGURES) for o in result.outcomes)
    if reads_baseline and result.baseline is not None:
        err.print(f"moved compares with {escape(result.baseline)}", highlight=False)
    failed = len(result.failed)
    err.print(f"{render.counted(len(result.outcomes), 'check')}: {failed:,} failed", highlight=False)
    if failed:
        raise typer.Exit(CHECK_FAILED)


def outcomes_table(out: Console, result: PlanChecked) -> None:
    table = Table(title=f"Checks of {escape(result.plan.name)}")
    for name, justify in [("check", "left"), ("over", "left"), ("rows", "right"), ("failed", "right")]:
        table.add_column(name, justify=justify, overflow="fold")  # type: ignore[arg-type]
    table.add_column("result")
    for outcome in result.outcomes:
        table.add_row(
            escape(outcome.check.name),
            str(outcome.check.over),
            f"{outcome.rows:,}",
            f"{outcome.failed.height:,}",
            "pass" if outcome.passed else "[red]FAIL[/red]",
        )
    out.print(table)
