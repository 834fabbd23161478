"""`territorial penetration` and `territorial gaps`: performance against potential by territory, and
the potential no territory or rep covers."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import polars as pl
import typer
from rich.markup import escape
from rich.table import Table

from territorial.cli.app import app, console, context_of, err, handled, workspace_of
from territorial.cli.kpis import PeriodOption, PlanOption, PriceListOption, RunOption
from territorial.cli.render import warnings
from territorial.errors import BadInput
from territorial.io.output import write_table
from territorial.services.penetration import DEFAULT_BELOW, DEFAULT_TOP, ZIP, gaps, penetration

SHOWN = 20  # territories, accounts and areas shown in the terminal; the --out files hold them all

PotentialOption = Annotated[
    str | None,
    typer.Option(
        "--potential",
        help="An account number field to read as potential (annual_revenue) instead of the plan's.",
    ),
]


@app.command("penetration")
@handled
def penetration_command(
    ctx: typer.Context,
    run: RunOption = None,
    plan: PlanOption = None,
    period: PeriodOption = None,
    price_list: PriceListOption = None,
    top: Annotated[
        int, typer.Option("--top", help="Untapped accounts listed per under-penetrated territory.")
    ] = DEFAULT_TOP,
    below: Annotated[
        float,
        typer.Option("--below", help="A territory whose index is below this is under-penetrated."),
    ] = DEFAULT_BELOW,
    fit_model: Annotated[
        Path | None,
        typer.Option(
            "--fit-model", help="A model from `score train`: rank untapped accounts by potential × fit."
        ),
    ] = None,
    potential: PotentialOption = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the index of every territory to this file.")
    ] = None,
    accounts_out: Annotated[
        Path | None, typer.Option("--accounts-out", help="Write the untapped accounts to this file.")
    ] = None,
) -> None:
    """Performance against potential: each territory's share of bookings ÷ its share of potential,
    and in the territories below --below, the accounts with the most potential and no open deal."""
    with err.status("Computing penetration…") as status:
        report = penetration(
            workspace_of(ctx),
            context_of(ctx),
            run,
            plan,
            period,
            price_list,
            top,
            below,
            fit_model,
            potential,
            progress=lambda step, _f: status.update(f"{step}…"),
        )
    out_console = console()
    span = "all closed deals" if report.period is None else f"deals closed in {report.period.label}"
    out_console.print(
        f"[bold]Performance against potential of {escape(report.described)}[/bold], {span}", highlight=False
    )
    warnings(out_console, report.warnings)
    more = report.index.height - SHOWN
    table = Table(title=f"the {SHOWN} lowest of {report.index.height:,} territories" if more > 0 else None)
    for header in ("territory", "bookings", "share", "potential", "share", "index", ""):
        table.add_column(header, justify="left" if header == "territory" else "right")
    for row in report.index.head(SHOWN).iter_rows(named=True):
        table.add_row(
            escape(row["territory_id"]),
            f"{row['bookings']:,.0f}",
            _share(row["bookings_share"]),
            f"{row['potential']:,.0f}",
            _share(row["potential_share"]),
            "—" if row["index"] is None else f"{row['index']:.2f}",
            "under-penetrated" if row["under_penetrated"] else "",
        )
    out_console.print(table)
    ranking = "potential × fit" if report.fit_scored else "potential"
    under_ids = report.index.filter(pl.col("under_penetrated")).get_column("territory_id")
    for territory in under_ids.head(SHOWN).to_list():
        accounts = report.untapped.filter(pl.col("territory_id") == territory)
        if accounts.is_empty():
            continue
        listed = ", ".join(
            f"{escape(a)} ({u:,.0f})" for a, u in accounts.select("account_id", "untapped").iter_rows()
        )
        out_console.print(
            f"{escape(territory)}: most untapped ({ranking}, no open deal): {listed}", highlight=False
        )
    under = report.index.filter(pl.col("under_penetrated")).height
    out_console.print(
        f"{under:,} of {report.index.height:,} territories are under-penetrated "
        f"(index below {report.below:g})",
        highlight=False,
    )
    if under and report.untapped.is_empty():
        out_console.print("no account with potential and no open deal in the under-penetrated territories")
    write_all([(out, report.index, "territories"), (accounts_out, report.untapped, "accounts")])


@app.command("gaps")
@handled
def gaps_command(
    ctx: typer.Context,
    run: RunOption = None,
    plan: PlanOption = None,
    area: Annotated[
        str, typer.Option("--area", help="zip (default) or county: the areas to sum gaps by.")
    ] = ZIP,
    potential: PotentialOption = None,
    market: Annotated[
        Path | None,
        typer.Option("--market", help="area,potential: the market, to find areas with no account at all."),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the uncovered accounts to this file.")
    ] = None,
    areas_out: Annotated[
        Path | None,
        typer.Option("--areas-out", help="Write the areas with uncovered potential to this file."),
    ] = None,
    market_out: Annotated[
        Path | None, typer.Option("--market-out", help="Write the market areas with no account to this file.")
    ] = None,
) -> None:
    """Coverage gaps: accounts whose potential has no territory or no rep, the ZIP or county areas
    holding them and, with --market, the market potential where the workspace has no account."""
    if market_out is not None and market is None:
        raise BadInput.at("--market-out needs --market FILE", "--market-out")
    with err.status("Finding coverage gaps…") as status:
        report = gaps(
            workspace_of(ctx),
            context_of(ctx),
            run,
            plan,
            area,
            market,
            potential,
            progress=lambda step, _f: status.update(f"{step}…"),
        )
    out_console = console()
    out_console.print(f"[bold]Coverage gaps of {escape(report.described)}[/bold]", highlight=False)
    warnings(out_console, report.warnings)
    total = float(report.accounts.get_column("potential").sum())
    counts = report.accounts.group_by("gap").len().sort("gap").iter_rows()
    by_gap = ", ".join(f"{n:,} with {g}" for g, n in counts)
    out_console.print(
        f"{report.accounts.height:,} accounts hold {total:,.0f} potential that no territory or rep covers"
        + (f" ({by_gap})" if by_gap else ""),
        highlight=False,
    )
    no_area = report.accounts.get_column("area").null_count()
    if no_area:
        out_console.print(
            f"{no_area:,} of them have no {report.area}, so no area holds them", highlight=False
        )
    _gap_table(report.accounts, ["account_id", "area", "gap", "potential"], f"accounts ({report.area})")
    _gap_table(
        report.areas,
        ["area", "accounts", "potential", "uncovered_accounts", "uncovered_potential", "uncovered_share"],
        f"{report.area} areas with uncovered potential",
    )
    if report.market is not None:
        market_total = float(report.market.get_column("market_potential").sum())
        out_console.print(
            f"{report.market.height:,} market {report.area} areas with no account hold "
            f"{market_total:,.0f} potential",
            highlight=False,
        )
        _gap_table(report.market, ["area", "market_potential"], "market areas with no account")
    write_all(
        [(out, report.accounts, "accounts"), (areas_out, report.areas, "areas")]
        + ([] if report.market is None else [(market_out, report.market, "market areas")])
    )


def write_all(outputs: list[tuple[Path | None, pl.DataFrame, str]]) -> None:
    """Each frame to its --out file, when one was given, saying how many rows of what went where."""
    for path, frame, what in outputs:
        if path is not None:
            write_table(frame, path)
            err.print(f"wrote {frame.height:,} {what} to {path}")


def _gap_table(frame: pl.DataFrame, columns: list[str], title: str) -> None:
    if frame.is_empty():
        return
    more = frame.height - SHOWN
    table = Table(title=title + (f", the first {SHOWN} of {frame.height:,}" if more > 0 else ""))
    for column in columns:
        table.add_column(
            column.replace("_", " "), justify="left" if column in ("account_id", "area", "gap") else "right"
        )
    for row in frame.head(SHOWN).iter_rows(named=True):
        table.add_row(*(_value(c, row[c]) for c in columns))
    console().print(table)


def _value(column: str, value: object) -> str:
    if value is None:
        return ""
    if column.endswith("share"):
        return f"{float(value):.0%}"  # type: ignore[arg-type]
    if isinstance(value, str):
        return escape(value)
    return f"{float(value):,.0f}"  # type: ignore[arg-type]


def _share(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"
