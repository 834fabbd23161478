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


# ---- the generated pipeline: a known process --------------------------------------------------------

GENERATED_ACCOUNTS = 4_000
GENERATED_SEED = 7
GENERATED_MONTHS = [date(2026, m, 1) for m in range(4, 13)]
REPLICAS = 400  # Monte Carlo runs of the process per as-of day: the truth's error is under 1%


def import_generated(folder: Path) -> None:
    cli(folder, "init")
    cli(
        folder,
        "generate",
        "accounts",
        "--n",
        GENERATED_ACCOUNTS,
        "--seed",
        GENERATED_SEED,
        "--out",
        "accounts.csv",
    )
    cli(
        folder,
        "generate",
        "opportunities",
        "--accounts",
        "accounts.csv",
        "--out",
        "opportunities.csv",
        "--seed",
        GENERATED_SEED,
    )
    for entity, name in [
        ("accounts", "accounts"),
        ("opportunities", "opportunities"),
        ("opportunity_history", "opportunity_history"),
    ]:
        cli(folder, "import", entity, f"{name}.csv")


def process_expected(folder: Path, as_of: date, month: date) -> float:
    """The generator's expected bookings for `month` given what was known on `as_of`: each open deal
    walks the rest of its stages as the generator walks them (its current stage's outcome weighed by
    how long it has already waited there), and deals yet to be created arrive at the generator's rate,
    each walking every stage; REPLICAS runs, seeded."""
    import numpy as np

    from territorial.generate import opportunities as g
    from territorial.generate.accounts import segment_index

    rng = np.random.default_rng(0)
    deals = pl.read_csv(folder / "opportunities.csv", try_parse_dates=True)
    moves = pl.read_csv(folder / "opportunity_history.csv", try_parse_dates=True)
    accounts = pl.read_csv(folder / "accounts.csv")
    end = (month.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    first, last = (month - as_of).days, (end - as_of).days  # days after as_of
    now = moves.filter(pl.col("changed") <= as_of).sort("opportunity_id", "changed")
    state = now.group_by("opportunity_id", maintain_order=True).agg(
        pl.col("stage").last(), pl.col("changed").last(), pl.col("amount").last()
    )
    open_now = (
        state.filter(pl.col("stage").is_in(list(g.STAGES)))
        .join(deals.select("opportunity_id", "created"), on="opportunity_id")
        .filter(pl.col("created") <= as_of)
    )
    stage = np.array([g.STAGES.index(s) for s in open_now.get_column("stage")])
    waited = (as_of - open_now.get_column("changed")).dt.total_days().to_numpy().astype(float)
    amount = open_now.get_column("amount").to_numpy().astype(float)
    total = _walk(rng, stage, waited, amount, first, last, g)
    # Deals yet to be created: the generator's rate per day for this book, its sizes by segment.
    employees = accounts.get_column("employees").cast(pl.Float64).fill_null(0).to_numpy()
    per_segment = np.bincount(segment_index(employees), minlength=3) * np.array(g.DEALS_PER_ACCOUNT)
    span = (g.PIPELINE_AS_OF - g.FIRST_CREATED).days + 1
    rate = per_segment.sum() / span
    for _ in range(REPLICAS):
        count = rng.poisson(rate * last)
        created = rng.integers(1, last + 1, count)
        segment = rng.choice(3, count, p=per_segment / per_segment.sum())
        size = np.array(g.MEDIAN_AMOUNT, dtype=float)[segment] * rng.lognormal(0.0, g.AMOUNT_SIGMA, count)
        total += (
            _walk(rng, np.zeros(count, int), np.zeros(count), size, first - created, last - created, g, 1)
            / REPLICAS
        )
    return total


def _walk(rng, stage, waited, amount, first, last, g, replicas: int = REPLICAS) -> float:  # type: ignore[no-untyped-def]
    """Expected won amount closing between days `first` and `last` from now (arrays per deal) of deals
    in `stage` for `waited` days, over `replicas` runs of the generator's stage process."""
    import numpy as np

    n = stage.size
    if n == 0:
        return 0.0
    shape = (replicas, n)
    day = np.zeros(shape)
    at = np.broadcast_to(stage, shape).copy()
    alive = np.ones(shape, bool)
    won = np.zeros(shape, bool)
    value = np.broadcast_to(amount, shape).copy()
    for position, name in enumerate(g.STAGES):
        here = alive & (at == position)
        mean = g.MEAN_DAYS_IN_STAGE[name]
        advance = g.ADVANCE[name]
        # Waited w here without leaving yet: each outcome weighed by its chance of so long a wait.
        w = np.where(here, np.broadcast_to(np.where(stage == position, waited, 0.0), shape), 0.0)
        on_weight = advance * np.exp(-w / mean)
        off_weight = (1 - advance) * np.exp(-w / (mean * g.LOST_SPEED))
        moves_on = rng.random(shape) < on_weight / (on_weight + off_weight)
        left = rng.exponential(1.0, shape) * mean * np.where(moves_on, 1.0, g.LOST_SPEED)
        # The generator's day of the move is entry + 1 + the whole days waited; the days from now:
        step = np.floor(w + left) + 1 - w
        day = np.where(here, day + np.maximum(step, 1), day)
        alive &= ~(here & ~moves_on)
        if position + 1 < len(g.STAGES):
            if g.STAGES[position + 1] == "Proposal":
                revised = value * rng.lognormal(0.0, g.REVISED_AMOUNT_SIGMA, shape)
                value = np.where(here & moves_on, revised, value)
            at = np.where(here & moves_on, position + 1, at)
        else:
            won |= here & moves_on
    inside = won & (day >= first) & (day <= last)
    return float(np.where(inside, value, 0.0).sum() / replicas)


def generated_check(folder: Path) -> None:
    """The same walk on a generated pipeline: the CLI's forecast by rep against what happened and
    against the process's expected bookings (all reps together and per rep)."""
    if not (folder / "territorial.db").exists():
        import_generated(folder)
    rows = backtest(folder, GENERATED_MONTHS, "rep", None)
    report("generated pipeline, rep level, against what happened", rows)
    totals = rows.group_by("method", "month").agg(pl.col(FORECAST).sum(), pl.col("actual").sum())
    truth = pl.DataFrame(
        {
            "month": GENERATED_MONTHS,
            "expected": [process_expected(folder, month_before_end(m), m) for m in GENERATED_MONTHS],
        }
    )
    scored = totals.join(truth, on="month")
    print(f"\n{'month':<10}{'forecast':>14}{'process expects':>17}{'happened':>14}")
    for month, point, actual, expected in (
        scored.filter(pl.col("method") == FORECAST)
        .sort("month")
        .select("month", FORECAST, "actual", "expected")
        .iter_rows()
    ):
        print(f"{month:%Y-%m}   {point:>14,.0f}{expected:>17,.0f}{actual:>14,.0f}")
    print("\nall reps together, WAPE against the process's expected bookings:")
    for method, error in (
        scored.group_by("method")
        .agg(((pl.col(FORECAST) - pl.col("expected")).abs().sum() / pl.col("expected").sum()).alias("e"))
        .sort("e")
        .iter_rows()
    ):
        print(f"  {method:<26}{error:>7.1%}")
    happened = scored.filter(pl.col("method") == FORECAST)
    noise = float((happened["actual"] - happened["expected"]).abs().sum() / happened["expected"].sum())
    print(f"  {'what happened':<26}{noise:>7.1%}  (the process's own noise)")


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
    parser.add_argument("--generated", action="store_true", help="The generated pipeline instead.")
    args = parser.parse_args()
    print(f"cores: {os.cpu_count()}, python {sys.version.split()[0]}")
    if args.generated:
        started = time.perf_counter()
        with tempfile.TemporaryDirectory() as scratch:
            folder = args.work or Path(scratch)
            folder.mkdir(parents=True, exist_ok=True)
            generated_check(folder)
        print(f"\nrun time {time.perf_counter() - started:.1f} s")
        return
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
