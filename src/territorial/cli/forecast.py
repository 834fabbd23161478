"""`territorial forecast`: bookings per group and month or quarter, as of a day, with an 80% interval."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from territorial.cli.app import app, console, context_of, err, handled, workspace_of
from territorial.cli.kpis import PlanOption, PriceListOption, RunOption
from territorial.io.output import write_table
from territorial.services.forecast import forecast_bookings


@app.command("forecast")
@handled
def forecast_command(
    ctx: typer.Context,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of", help="Forecast from what was known on this day, YYYY-MM-DD (default: today)."
        ),
    ] = None,
    by: Annotated[
        str, typer.Option("--by", help="territory, rep, manager or a rep field (team, regional_office).")
    ] = "rep",
    grain: Annotated[str, typer.Option("--grain", help="month or quarter.")] = "month",
    horizon: Annotated[
        int, typer.Option("--horizon", help="How many periods, the first holding --as-of.")
    ] = 2,
    price_list: PriceListOption = None,
    run: RunOption = None,
    plan: PlanOption = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Write group, period_start, forecast, low, high to this file."),
    ] = None,
) -> None:
    """Bookings (won amount by close day) per group and period, from only what the CRM knew on --as-of:
    the open pipeline weighted by win rates and time to close learned by then, deals yet to be created,
    and a seasonal run rate. The current period adds what closed won so far. low and high hold 80%."""
    with err.status("Forecasting…") as status:
        report = forecast_bookings(
            workspace_of(ctx),
            context_of(ctx),
            as_of,
            by,
            grain,
            horizon,
            price_list,
            run,
            plan,
            progress=lambda step, _f: status.update(f"{step}…"),
        )
    out_console = console()
    labels = {p.start: p.label for p in report.result.periods}
    out_console.print(
        f"[bold]Bookings forecast by {escape(report.by)} as of {report.as_of}[/bold] "
        f"with an 80% interval; groups from {escape(report.described)}",
        highlight=False,
    )
    table = Table()
    for header in (report.by, report.grain, "forecast", "low", "high"):
        table.add_column(header, justify="left" if header in (report.by, report.grain) else "right")
    for name, start, point, low, high in report.result.table.iter_rows():
        table.add_row(escape(name), labels[start], f"{point:,.0f}", f"{low:,.0f}", f"{high:,.0f}")
    out_console.print(table)
    for note in report.notes:
        out_console.print(f"note: {escape(note)}", highlight=False)
    if out is not None:
        write_table(report.result.table, out)
        err.print(f"wrote {report.result.table.height:,} rows to {out}")
