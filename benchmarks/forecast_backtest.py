"""The forecast backtest of #20: `territorial forecast` walked forward month by month, for the month
ahead, on the CRM Sales Opportunities data imported with its built-in mappings, against four baselines.

    .venv/bin/python benchmarks/forecast_backtest.py [--span tune|report|both] [--levels regional_office,rep]
    .venv/bin/python benchmarks/forecast_backtest.py --generated   # the same harness on a generated pipeline

Each as-of date is the last day of a month; the forecast is the CLI's own output (`forecast --as-of D
--horizon 2 --out`, run in this process), its second period the month ahead. Settings were chosen on
target months up to 2017-08 (`--span tune`); 2017-09 … 2017-12 (`--span report`) were scored after.
WAPE is over the group-months with bookings. On the generated pipeline the truth is also the process's
expected bookings, from simulating the generator's stage process forward from what was known.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path

import polars as pl

from territorial.domain.entities import Entity
from territorial.evaluate.backtest import FORECAST, baselines, monthly_bookings, scorecard
from territorial.evaluate.kpis import deal_groups
from territorial.io.price_list import read_price_list
from territorial.services.forecast import HISTORY_TYPES
from territorial.services.kpis import DEAL_TYPES, workspace_reps
from territorial.store.workspace import open_workspace

HERE = Path(__file__).resolve().parent
TUNE = [date(2017, m, 1) for m in range(4, 9)]  # target months the settings were chosen on
REPORT = [date(2017, m, 1) for m in range(9, 13)]  # scored once, after
LEVELS = {"regional_office": "office", "rep": "agent"}


def shared_data(*parts: str) -> Path:
    """../shared/data beside the repository (or TERRITORIAL_SHARED_DATA): benchmarks may read it."""
    override = os.environ.get("TERRITORIAL_SHARED_DATA")
    roots = [Path(override)] if override else []
    roots += [folder / "shared" / "data" for folder in HERE.parents]
    root = next((r for r in roots if r.is_dir()), roots[-1])
    return root.joinpath(*parts)


def cli(folder: Path, *args: object) -> str:
    """The `territorial` command in this process, in `folder`; stops on any exit but 0."""
    from typer.testing import CliRunner

    from territorial.cli.main import app

    previous = Path.cwd()
    os.chdir(folder)
    try:
        result = CliRunner().invoke(app, [str(a) for a in args], env={"COLUMNS": "200"})
    finally:
        os.chdir(previous)
    if result.exit_code != 0:
        raise SystemExit(f"territorial {' '.join(map(str, args))} exited {result.exit_code}: {result.stderr}")
    return result.stdout


def import_crm(folder: Path, data: Path) -> None:
    cli(folder, "init")
    for entity, name in [
        ("accounts", "accounts"),
        ("reps", "sales_teams"),
        ("opportunities", "sales_pipeline"),
    ]:
        cli(folder, "import", entity, data / f"{name}.csv", "--mapping", "crm-sales-opportunities")


def month_before_end(month: date) -> date:
    return month - timedelta(days=1)


def backtest(folder: Path, months: Sequence[date], by: str, price_list: Path | None) -> pl.DataFrame:
    """group, month, method, forecast, low, high, actual for each target month: the CLI's forecast
    and the baselines, from the workspace's deals grouped as the CLI groups them."""
    workspace = open_workspace(str(folder / "territorial.db"))
    with workspace.unit_of_work() as uow:
        reps = workspace_reps(uow)
        deals = uow.records.read(Entity.OPPORTUNITIES, DEAL_TYPES, active_only=True)
        history = uow.records.read(Entity.OPPORTUNITY_HISTORY, HISTORY_TYPES, active_only=True)
    placed = pl.DataFrame(
        schema={"account_id": pl.String, "group": pl.String, "overlaps": pl.String, "tie": pl.Boolean}
    )
    grouped = deal_groups(deals, reps, by, placed)
    actual = monthly_bookings(grouped.filter(pl.col("created").is_not_null())).rename({"bookings": "actual"})
    prices = read_price_list(price_list) if price_list is not None else None
    parts = []
    for month in months:
        as_of = month_before_end(month)
        args: list[object] = ["forecast", "--as-of", as_of, "--by", by, "--horizon", 2, "--out", "f.csv"]
        if price_list is not None:
            args += ["--price-list", price_list]
        cli(folder, *args)
        ours = (
            pl.read_csv(folder / "f.csv", try_parse_dates=True)
            .filter(pl.col("period_start") == month)
            .select(
                pl.col("group").cast(pl.String), pl.lit(FORECAST).alias("method"), FORECAST, "low", "high"
            )
        )
        theirs = baselines(grouped, history, as_of, month, prices).with_columns(
            pl.lit(None, pl.Float64).alias("low"), pl.lit(None, pl.Float64).alias("high")
        )
        both = pl.concat([ours, theirs.select(ours.columns)]).with_columns(pl.lit(month).alias("month"))
        parts.append(both)
    rows = pl.concat(parts)
    return (
        rows.join(actual, on=["group", "month"], how="full", coalesce=True)
        .filter(pl.col("method").is_not_null() & pl.col("month").is_in(list(months)))
        .with_columns(pl.col("actual").fill_null(0.0), pl.col(FORECAST).fill_null(0.0))
    )


def report(title: str, rows: pl.DataFrame) -> pl.DataFrame:
    card = scorecard(rows)
    print(f"\n{title}")
    print(f"{'method':<26}{'WAPE':>8}{'paired wins':>14}{'80% coverage':>15}")
    for method, value, wins, months, coverage in card.iter_rows():
        shown = "—" if coverage is None else f"{coverage:.0%}"
        wins_shown = f"{wins}/{months}"
        print(f"{method:<26}{value:>8.1%}{wins_shown:>14}{shown:>15}")
    return card


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--span", choices=["tune", "report", "both"], default="report")
    parser.add_argument("--levels", default="regional_office,rep")
    parser.add_argument("--work", type=Path, default=None, help="Keep the workspace here.")
    args = parser.parse_args()
    print(f"cores: {os.cpu_count()}, python {sys.version.split()[0]}")
    data = shared_data("crm-sales-opportunities")
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as scratch:
        folder = args.work or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        if not (folder / "territorial.db").exists():
            import_crm(folder, data)
        imported = time.perf_counter()
        print(f"imported the CRM Sales Opportunities data in {imported - started:.1f} s")
        spans = {"tune": [TUNE], "report": [REPORT], "both": [TUNE, REPORT]}[args.span]
        for months in spans:
            for by in args.levels.split(","):
                rows = backtest(folder, months, by, data / "products.csv")
                label = f"{months[0]:%Y-%m} … {months[-1]:%Y-%m}"
                report(f"{LEVELS.get(by, by)} level ({by}), target months {label}", rows)
    print(f"\nrun time {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
