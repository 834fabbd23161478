"""`territorial kpis` and `territorial fairness`: figures of a chosen assignment per territory, rep,
manager, layer or rep field, and how evenly they spread."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import polars as pl
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from territorial.cli.app import app, console, context_of, err, handled, workspace_of
from territorial.cli.engine_options import SparkMasterOption
from territorial.cli.progress import stage_bar
from territorial.cli.render import warnings
from territorial.domain.fairness import DEFAULT_TOLERANCE, Fairness
from territorial.errors import BadInput
from territorial.io.output import write_table
from territorial.services.kpis import (
    DEFAULT_MEASURES,
    FairnessReport,
    KpiReport,
    fairness_frame,
    fairness_report,
    kpis,
    lorenz_frame,
)
from territorial.services.scale_kpis import kpis_of_file

RunOption = Annotated[int | None, typer.Option("--run", help="A stored assignment run (`run list`).")]
PlanOption = Annotated[
    str | None,
    typer.Option(
        "--plan",
        help="A stored plan as activating it today would make it, or 'active' for the live assignment "
        "(default: the active plan, else the latest run).",
    ),
]
PeriodOption = Annotated[
    str | None,
    typer.Option(
        "--period",
        help="Closed deals of a quarter (2027Q1), month (2017-06) or fiscal year (FY2027) for the "
        "performance figures (default: all).",
    ),
]
PriceListOption = Annotated[
    Path | None,
    typer.Option(
        "--price-list", help="product,list_price (or sales_price): the value of deals with no amount."
    ),
]

# Figures shown in the terminal, with their headers; --out writes every column.
SHOWN = {
    "accounts": "accounts",
    "workload": "workload",
    "potential": "potential",
    "open_pipeline": "open pipeline",
    "weighted_pipeline": "weighted",
    "overlaps": "overlaps",
    "ties": "ties",
    "bookings": "bookings",
    "won": "won",
    "lost": "lost",
    "win_rate": "win rate",
    "win_rate_value": "win rate (value)",
    "average_deal": "avg deal",
    "cycle_days": "cycle days",
    "quota": "quota",
    "attainment": "attainment",
}
RATES = ("win_rate", "win_rate_value", "attainment")
LORENZ_SHOWN = (0.2, 0.4, 0.6, 0.8)
FLAGGED_SHOWN = 10


@app.command("kpis")
@handled
def kpis_command(
    ctx: typer.Context,
    run: RunOption = None,
    plan: PlanOption = None,
    by: Annotated[
        str,
        typer.Option("--by", help="territory, rep, manager, layer or a rep field (team, regional_office)."),
    ] = "rep",
    period: PeriodOption = None,
    price_list: PriceListOption = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write every figure to this CSV/Parquet/Excel file.")
    ] = None,
    engine: Annotated[
        str | None,
        typer.Option(
            "--engine",
            help="local, duckdb or spark: the book figures (accounts, workload, overlaps, ties) of "
            "--assignments, by territory, rep or layer, written to --out as Parquet.",
        ),
    ] = None,
    assignments: Annotated[
        Path | None,
        typer.Option(
            "--assignments", help="With --engine: the Parquet file, folder or glob `assign --engine` wrote."
        ),
    ] = None,
    spark_master: SparkMasterOption = None,
) -> None:
    """Book figures (accounts, workload, potential, open and weighted pipeline, overlaps, ties) where the
    assignment puts accounts, and performance figures (bookings, win rate, average deal, cycle time,
    attainment) from the period's closed deals: by the deal's rep, or by its account's territory.
    With --engine, the book figures that are counts and sums of an assignment file."""
    if engine is not None or assignments is not None:
        _file_kpis(
            engine,
            assignments,
            out,
            by,
            spark_master,
            {"--run": run, "--plan": plan, "--period": period, "--price-list": price_list},
        )
        return
    if spark_master is not None:
        raise BadInput.at("--spark-master goes with --engine spark", "--spark-master")
    with err.status("Computing KPIs…") as status:
        report = kpis(
            workspace_of(ctx),
            context_of(ctx),
            run,
            plan,
            by,
            period,
            price_list,
            progress=lambda step, _f: status.update(f"{step}…"),
        )
    out_console = console()
    _heading(out_console, report)
    _kpi_table(out_console, report.table, report.by)
    _footnotes(out_console, report)
    if out is not None:
        write_table(report.table, out)
        err.print(f"wrote {report.table.height:,} rows to {out}")


def _file_kpis(
    engine: str | None,
    assignments: Path | None,
    out: Path | None,
    by: str,
    spark_master: str | None,
    workspace_options: dict[str, object],
) -> None:
    given = next((name for name, value in workspace_options.items() if value is not None), None)
    if given is not None:
        raise BadInput.at(f"{given} reads the workspace; --engine reads --assignments", given)
    if engine is None or assignments is None or out is None:
        raise BadInput.at("kpis on an engine: give --engine, --assignments and --out", "--engine")
    with stage_bar(err) as progress:
        groups = kpis_of_file(assignments, out, engine, by, progress, spark_master)
    err.print(f"wrote {groups:,} rows to {out} (engine {engine})", highlight=False)


@app.command("fairness")
@handled
def fairness_command(
    ctx: typer.Context,
    run: RunOption = None,
    plan: PlanOption = None,
    by: Annotated[str, typer.Option("--by", help="rep (default) or territory.")] = "rep",
    measure: Annotated[
        list[str] | None,
        typer.Option(
            "--measure",
            help="A figure of `kpis` to compare, repeatable or comma-separated "
            "(default: workload, potential).",
        ),
    ] = None,
    tolerance: Annotated[
        float, typer.Option("--tolerance", help="How far from its target a rep may be: 0.10 is ±10%.")
    ] = DEFAULT_TOLERANCE,
    period: PeriodOption = None,
    price_list: PriceListOption = None,
    out: Annotated[Path | None, typer.Option("--out", help="Write the measures to this file.")] = None,
    lorenz_out: Annotated[
        Path | None,
        typer.Option("--lorenz-out", help="Write each measure's Lorenz curve points to this file."),
    ] = None,
) -> None:
    """How evenly workload, potential or any KPI spreads across reps (or territories): CV, Gini,
    max/min, max/mean, the share within tolerance of target (capacity-weighted when reps carry
    capacity, else the mean), the Lorenz curve, and who is outside."""
    measures = tuple(m.strip() for text in (measure or []) for m in text.split(",") if m.strip())
    with err.status("Computing fairness…") as status:
        report = fairness_report(
            workspace_of(ctx),
            context_of(ctx),
            run,
            plan,
            by,
            measures or DEFAULT_MEASURES,
            tolerance,
            period,
            price_list,
            progress=lambda step, _f: status.update(f"{step}…"),
        )
    out_console = console()
    _heading(out_console, report.kpis, "Fairness")
    _fairness_table(out_console, report)
    for result in report.measures:
        _flagged(out_console, result, report.kpis.by)
    if out is not None:
        write_table(fairness_frame(report.measures), out)
        err.print(f"wrote {len(report.measures)} measures to {out}")
    if lorenz_out is not None:
        write_table(lorenz_frame(report.measures), lorenz_out)
        err.print(f"wrote the Lorenz curves to {lorenz_out}")


def _heading(out: Console, report: KpiReport, what: str = "KPIs") -> None:
    period = (
        f", deals closed in {report.period.label} ({report.period.start} to {report.period.end})"
        if report.period is not None
        else ", all closed deals"
    )
    out.print(
        f"[bold]{what} of {escape(report.described)} by {escape(report.by)}[/bold]{period}", highlight=False
    )
    warnings(out, report.warnings)


def _kpi_table(out: Console, frame: pl.DataFrame, by: str) -> None:
    table = Table()
    table.add_column(by, overflow="fold")
    for header in SHOWN.values():
        table.add_column(header, justify="right", overflow="fold")
    for row in frame.iter_rows(named=True):
        table.add_row(escape(row["group"]), *(_cell(name, row[name]) for name in SHOWN))
    out.print(table)


def _cell(name: str, value: object) -> str:
    if value is None:
        return ""
    if name in RATES:
        return f"{float(value):.1%}"  # type: ignore[arg-type]
    if isinstance(value, int):
        return f"{value:,}"
    return f"{float(value):,.0f}"  # type: ignore[arg-type]


def _footnotes(out: Console, report: KpiReport) -> None:
    out.print(f"weighted pipeline: each open deal's value × its stage's chance, from {report.probabilities}")
    for note in report.notes:
        out.print(f"note: {escape(note)}", highlight=False)


def _fairness_table(out: Console, report: FairnessReport) -> None:
    first = report.measures[0] if report.measures else None
    if first is None or first.groups == 0:
        out.print(f"no {_plural(report.kpis.by)} to compare")
        return
    target = "capacity-weighted target" if first.capacity_weighted else "the mean"
    table = Table(title=f"{first.groups:,} {_plural(report.kpis.by)}; target: {target}")
    headers = ["measure", "total", "mean", "CV", "Gini", "max/min", "max/mean"]
    headers += [f"within ±{first.tolerance:.0%}", "flagged", "Lorenz: smallest 20/40/60/80% hold"]
    for header in headers:
        table.add_column(header, justify="left" if header == "measure" else "right", overflow="fold")
    for m in report.measures:
        table.add_row(
            m.measure,
            f"{m.total:,.0f}",
            f"{m.mean:,.0f}",
            _ratio(m.cv, ".2f"),
            _ratio(m.gini, ".3f"),
            _ratio(m.max_over_min, ".2f"),
            _ratio(m.max_over_mean, ".2f"),
            _ratio(m.within_tolerance, ".0%"),
            f"{m.flagged.height:,}",
            " / ".join(f"{_share_at(m.lorenz, x):.0%}" for x in LORENZ_SHOWN),
        )
    out.print(table)


def _flagged(out: Console, result: Fairness, by: str) -> None:
    if result.flagged.is_empty():
        return
    shown = [
        f"{escape(g)} {v:,.0f} ({off:+.0%})"
        for g, v, _t, off in result.flagged.head(FLAGGED_SHOWN).iter_rows()
    ]
    more = result.flagged.height - len(shown)
    tail = f", … {more:,} more" if more > 0 else ""
    out.print(
        f"{result.measure}: {result.flagged.height:,} {_plural(by)} outside ±{result.tolerance:.0%}, "
        "furthest first: " + ", ".join(shown) + tail,
        highlight=False,
    )


def _plural(by: str) -> str:
    return "territories" if by == "territory" else f"{by}s"


def _ratio(value: float | None, spec: str) -> str:
    return "—" if value is None else format(value, spec)


def _share_at(curve: list[tuple[float, float]], x: float) -> float:
    """The Lorenz curve read at a share of groups, between its points."""
    xs = [p[0] for p in curve]
    ys = [p[1] for p in curve]
    for i in range(1, len(xs)):
        if xs[i] >= x:
            span = xs[i] - xs[i - 1]
            return ys[i - 1] + (ys[i] - ys[i - 1]) * ((x - xs[i - 1]) / span if span else 0.0)
    return ys[-1]
