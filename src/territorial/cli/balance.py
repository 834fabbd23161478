"""The `territorial balance` command's body: a progress bar while it runs, then a summary table."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

from territorial.cli.progress import stage_bar
from territorial.errors import BadInput
from territorial.io.output import check_writable, write_table, write_text
from territorial.services.balance import BalanceRequest, BalanceRun, balance_files, draft_plan

MAX_TERRITORY_ROWS = 40


def run_balance(
    request: BalanceRequest,
    out: Path | None,
    report_path: Path | None,
    err: Console,
    plan_out: Path | None = None,
) -> None:
    if plan_out is not None and request.units is not None:  # refused before the search, not after
        raise BadInput.at("--plan-out needs accounts (--accounts or --workspace), not units", "--plan-out")
    check_writable(out, report_path, plan_out)
    with stage_bar(err) as progress:
        result = balance_files(request, progress)
    plan_text = draft_plan(result) if plan_out is not None else None
    write_table(result.table, out)
    if report_path is not None:
        write_text(json.dumps(result.report, indent=2) + "\n", report_path)
    if plan_out is not None and plan_text is not None:
        write_text(plan_text, plan_out)
    summary(err, result)
    if out is not None:
        err.print(f"wrote {result.table.height:,} rows to {out}")
    if report_path is not None:
        err.print(f"wrote the report to {report_path}")
    if plan_out is not None:
        err.print(f"wrote a draft plan to {plan_out}: its rules reproduce the alignment")


def summary(console: Console, result: BalanceRun) -> None:
    a, territories = result.alignment, result.territories
    balanced = [m for m in a.metrics if m in a.tolerances]
    table = Table(title="Balance by territory")
    table.add_column("territory", overflow="fold")
    table.add_column("rep", overflow="fold")
    table.add_column(result.units.noun + "s", justify="right")
    for name in balanced:
        table.add_column(f"{name} (±{a.tolerances[name]:.0%})", justify="right")
    table.add_column("contiguous", justify="center")
    table.add_column("compactness", justify="right")
    counts = np.bincount(a.territory, minlength=len(territories))
    worst = np.argsort(-np.abs(a.deviation).max(axis=1), kind="stable")[:MAX_TERRITORY_ROWS]
    for j in sorted(worst.tolist()):
        cells = []
        for name in balanced:
            col = a.metrics.index(name)
            dev = a.deviation[j, col]
            style = "red" if abs(dev) > a.tolerances[name] + 1e-9 else "green"
            cells.append(f"[{style}]{a.totals[j, col]:,.4g} ({dev:+.1%})[/{style}]")
        table.add_row(
            territories.ids[j],
            territories.rep_ids[j] or "",
            f"{counts[j]:,}",
            *cells,
            "yes" if a.contiguous[j] else "[red]no[/red]",
            f"{a.compactness[j]:,.1f}",
        )
    console.print(table)
    if len(territories) > MAX_TERRITORY_ROWS:
        console.print(f"(the {MAX_TERRITORY_ROWS} territories furthest from target of {len(territories):,})")
    k = len(territories)
    moved = f"; moved {a.moves:,} of {a.movable:,}" if a.movable else ""
    if a.min_moves is not None:
        moved += f" (LP minimum {a.min_moves:,.1f})"
    console.print(
        f"{int(a.within.sum())}/{k} within tolerance, {int(a.contiguous.sum())}/{k} contiguous{moved}; "
        f"cost {a.cost:,.6g}, bound {a.bound:,.6g}, gap {a.gap:.2%}; {a.seconds:.1f} s",
        highlight=False,
    )
    if not a.within.all():
        console.print(
            f"[red]warning:[/red] {k - int(a.within.sum())} territories are outside their tolerance "
            "(no alignment was found in the time given; try --time-limit or wider tolerances)"
        )
