"""`territorial capacity`: the headcount table and the what-if comparison."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from territorial.cli.app import MappingOption, app, console, err, handled, workspace_of
from territorial.cli.balance import (
    PlanRefOpt,
    SkipUnlocatedOpt,
    UnlocatedOutOpt,
    WorkIndexOpt,
    refuse_unlocated_out_alone,
    write_unlocated,
)
from territorial.cli.progress import stage_bar
from territorial.io.output import check_writable, write_table
from territorial.services.balance import default_unlocated_path, input_files
from territorial.services.capacity import CapacityRequest, CapacityRun, balance_options, plan_capacity


@app.command()
@handled
def capacity(
    ctx: typer.Context,
    accounts: Annotated[Path | None, typer.Option("--accounts", help="Accounts CSV or Parquet.")] = None,
    from_workspace: Annotated[
        bool, typer.Option("--workspace", help="The workspace's accounts, reps and current owners.")
    ] = False,
    plan: PlanRefOpt = None,
    workload: Annotated[
        str | None,
        typer.Option(
            "--workload",
            help="Hours a year per account: an expression over fields, or work-index (the default).",
        ),
    ] = None,
    work_index: WorkIndexOpt = None,
    reps: Annotated[
        Path | None, typer.Option("--reps", help="Reps CSV: rep_id, home, active (current reps, travel).")
    ] = None,
    hours_per_rep: Annotated[
        float, typer.Option("--hours-per-rep", help="A rep's selling hours a year.")
    ] = 1600.0,
    utilisation: Annotated[
        float, typer.Option("--utilisation", help="Target share of those hours filled with workload.")
    ] = 0.8,
    by: Annotated[
        str | None, typer.Option("--by", help="Columns to group by, comma-separated, e.g. segment,region.")
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the headcount table (CSV or Parquet).")
    ] = None,
    what_if_reps: Annotated[
        str | None,
        typer.Option("--what-if-reps", help="Balance with N reps, or +N/-N from today's, and compare."),
    ] = None,
    tolerance: Annotated[
        float, typer.Option("--tolerance", help="Workload tolerance of the what-if balance.")
    ] = 0.05,
    time_limit: Annotated[float, typer.Option("--time-limit", help="Seconds per what-if balance.")] = 60.0,
    seed: Annotated[int, typer.Option("--seed")] = 0,
    mapping: MappingOption = None,
    skip_unlocated: SkipUnlocatedOpt = False,
    unlocated_out: UnlocatedOutOpt = None,
) -> None:
    """Recommend headcount: reps needed per group for the workload at a target utilisation."""
    request = CapacityRequest(
        accounts=accounts,
        from_workspace=from_workspace,
        workspace=workspace_of(ctx),
        plan=plan,
        workload=workload,
        work_index=work_index,
        reps=reps,
        hours_per_rep=hours_per_rep,
        utilisation=utilisation,
        by=[c.strip() for c in by.split(",") if c.strip()] if by else [],
        what_if_reps=what_if_reps,
        tolerance=tolerance,
        time_limit=time_limit,
        seed=seed,
        mapping=mapping,
        skip_unlocated=skip_unlocated,
    )
    refuse_unlocated_out_alone(skip_unlocated, unlocated_out)
    run_capacity(request, out, console(), err, unlocated_out)


def run_capacity(
    request: CapacityRequest,
    out: Path | None,
    console: Console,
    err: Console,
    unlocated_out: Path | None = None,
) -> None:
    options = balance_options(request)
    if request.skip_unlocated:
        unlocated_out = unlocated_out or default_unlocated_path(options)
    check_writable(out, unlocated_out, inputs=input_files(options))
    with stage_bar(err) as progress:
        result = plan_capacity(request, progress=progress)
    if out is not None:
        write_table(result.headcount.table, out)
    headcount_table(console, result)
    if result.scenarios:
        what_if_table(console, result, request.tolerance)
    for note in result.notes:
        err.print(f"[yellow]note:[/yellow] {note}", highlight=False)
    if out is not None:
        err.print(f"wrote {result.headcount.table.height:,} rows to {out}")
    write_unlocated(err, result.unlocated, unlocated_out, "account")


def headcount_table(console: Console, result: CapacityRun) -> None:
    h = result.headcount
    table = Table(
        title=f"Headcount at {h.hours_per_rep:,.0f} selling hours a rep, {h.utilisation:.0%} utilisation",
        caption=f"workload: {result.workload} (hours a year)",
    )
    for name in h.by:
        table.add_column(name, no_wrap=True)
    for name in ("accounts", "workload hours", "FTE", "reps needed"):
        table.add_column(name, justify="right")
    has_current = "current_reps" in h.table.columns
    if has_current:
        table.add_column("current reps", justify="right")
    for row in h.table.iter_rows(named=True):
        cells = [str(row[name]) for name in h.by]
        cells += [f"{row['accounts']:,}", f"{row['workload_hours']:,.1f}", f"{row['fte']:.2f}"]
        cells.append(f"{row['reps_needed']:,}")
        if has_current:
            cells.append(f"{row['current_reps']:,}")
        table.add_row(*cells)
    if h.by:
        table.add_section()
        totals = ["total", *[""] * (len(h.by) - 1)]
        totals += [
            f"{h.accounts:,}",
            f"{h.workload_hours:,.1f}",
            f"{h.workload_hours / (h.hours_per_rep * h.utilisation):.2f}",
        ]
        totals.append(f"{h.reps_needed:,}")
        if has_current:
            totals.append(f"{h.current_reps:,}")
        table.add_row(*totals, style="bold")
    console.print(table)
    if h.by and h.pooled_reps != h.reps_needed:
        console.print(
            f"{h.reps_needed:,} reps when each group is staffed on its own; "
            f"{h.pooled_reps:,} if every rep could cover every group.",
            highlight=False,
        )


def what_if_table(console: Console, result: CapacityRun, tolerance: float) -> None:
    table = Table(title="What if: balance and compactness")
    table.add_column("alignment")
    table.add_column("reps", justify="right")
    table.add_column("utilisation", justify="right")
    table.add_column("max workload deviation", justify="right")
    table.add_column(f"within ±{tolerance:.0%}", justify="right")
    table.add_column("mean km to centre", justify="right")
    for s in result.scenarios:
        table.add_row(
            s.name,
            f"{s.reps:,}",
            f"{s.utilisation:.0%}",
            f"{s.max_deviation:.1%}",
            f"{s.within}/{s.reps}",
            f"{s.mean_km:,.1f}",
        )
    console.print(table)
