"""The `territorial capacity` command's body: the headcount table and the what-if comparison."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table

from territorial.cli.progress import stage_bar
from territorial.io.output import write_table
from territorial.services.capacity import CapacityRequest, CapacityRun, plan_capacity


def run_capacity(request: CapacityRequest, out: Path | None, console: Console, err: Console) -> None:
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
