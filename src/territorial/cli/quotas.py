"""`territorial quota allocate`: a period's quota target over a plan's territories and reps."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from territorial.cli.app import console, context_of, err, group, handled, workspace_of
from territorial.domain.plan import PRIMARY
from territorial.io.output import write_table
from territorial.services.quotas import QuotaReport, allocate_quotas

quota_app = group("quota", "Quota targets allocated over territories and reps.")


@quota_app.command("allocate")
@handled
def allocate_command(
    ctx: typer.Context,
    target: Annotated[int, typer.Option("--target", help="The period's total quota, e.g. 48000000.")],
    period: Annotated[str, typer.Option("--period", help="FY2027, 2027Q1 or 2027-01.")],
    plan: Annotated[str, typer.Option("--plan", help="A stored plan's id, or 'active'.")],
    weights: Annotated[
        str, typer.Option("--weights", help="How territory shares blend potential and trailing bookings.")
    ] = "potential=0.6,history=0.4",
    min_growth: Annotated[
        float, typer.Option("--min-growth", help="Least growth on a territory's trailing bookings.")
    ] = 0.0,
    max_growth: Annotated[
        float, typer.Option("--max-growth", help="Most growth on a territory's trailing bookings.")
    ] = 0.3,
    round_to: Annotated[int, typer.Option("--round", help="Quotas are whole multiples of this.")] = 1000,
    layer: Annotated[str, typer.Option("--layer", help="The layer whose territories get quotas.")] = PRIMARY,
    ramp: Annotated[
        str | None,
        typer.Option("--ramp", help="A new rep's share of a full quota in months 1, 2, …: 0.25,0.5,0.75."),
    ] = None,
    save: Annotated[
        bool, typer.Option("--save", help="Keep the quotas for the period (kpis use them).")
    ] = False,
    bottom_up: Annotated[
        Path | None,
        typer.Option("--bottom-up", help="A file of (territory or rep, amount) to compare with."),
    ] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Write every quota to this file.")] = None,
) -> None:
    """Apportion --target over the plan's territories by potential and trailing 4-quarter bookings
    within the growth bounds, then over each territory's reps by how much of the period they work;
    both levels sum exactly to the target, in whole --round units."""
    with err.status("Allocating quotas…") as status:
        report = allocate_quotas(
            workspace_of(ctx),
            context_of(ctx),
            target,
            period,
            plan,
            weights,
            min_growth,
            max_growth,
            round_to,
            layer,
            ramp,
            save,
            bottom_up,
            progress=lambda step, _f: status.update(f"{step}…"),
        )
    out_console = console()
    _show(out_console, report)
    if out is not None:
        write_table(report.table, out)
        err.print(f"wrote {report.table.height:,} quotas to {out}")
    if report.saved:
        err.print(f"saved the {report.layer} quotas for {report.period.label}; `territorial kpis` uses them")


def _show(out: Console, report: QuotaReport) -> None:
    period = report.period
    out.print(
        f"[bold]Quotas for {period.label} ({period.start} to {period.end}), {report.layer} layer, "
        f"of {escape(report.described)}[/bold]: {report.target:,}",
        highlight=False,
    )
    table = Table()
    for header in ("territory", "rep", "quota", "potential", "trailing bookings", "growth range", "employed"):
        table.add_column(header, justify="left" if header in ("territory", "rep") else "right")
    for row in report.table.iter_rows(named=True):
        low, high = row["lowest"], row["highest"]
        bounds = "" if high is None else f"{low:,.0f} – {high:,.0f}"
        employed = "" if row["employed"] is None else f"{row['employed']:.0%}"
        table.add_row(
            escape(row["territory_id"]),
            escape(row["rep_id"] or "(vacant)"),
            f"{row['quota']:,.0f}",
            f"{row['potential']:,.0f}",
            f"{row['history']:,.0f}",
            bounds,
            employed,
        )
    out.print(table)
    spread = report.spread
    if spread.groups:
        cv = "—" if spread.cv is None else f"{spread.cv:.2f}"
        ratio = "—" if spread.max_over_min is None else f"{spread.max_over_min:.2f}"
        out.print(
            f"fairness: quota ÷ potential across {spread.groups:,} reps with potential: "
            f"CV {cv}, max/min {ratio}"
        )
    else:
        out.print("fairness: no rep holds any potential, so quota ÷ potential cannot be compared")
    if report.bottom_up is not None:
        _bottom_up(out, report)


def _bottom_up(out: Console, report: QuotaReport) -> None:
    assert report.bottom_up is not None
    table = Table(title="allocated against bottom-up")
    for header in ("", "allocated", "bottom-up", "difference", "%"):
        table.add_column(header, justify="left" if not header else "right")
    for key, allocated, bottom_up, difference, pct in report.bottom_up.iter_rows():
        table.add_row(
            escape(key),
            f"{allocated:,.0f}",
            "" if bottom_up is None else f"{bottom_up:,.0f}",
            f"{difference:+,.0f}",
            "" if pct is None else f"{pct:+.1%}",
        )
    out.print(table)
