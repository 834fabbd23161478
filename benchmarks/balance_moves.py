"""Continuity by default (issue 17): a book with current owners is rebalanced keeping accounts with
their rep unless moving them is needed for balance.

    .venv/bin/python benchmarks/balance_moves.py [--accounts 5000] [--reps 11] [--repeat 3]

The stand-in book: generated accounts (territorial.generate) with a work-index workload by segment,
11 reps with homes (drawn by workload), and current owners from a fresh ±5% balance of that book.
Each state's workload then drifts by a random factor in [0.65, 1.35] (each account's by another in
[0.9, 1.1]), and the drifted book is
rebalanced at ±5% through the service `territorial balance` calls:
- unpenalised (--move-penalty 0): the most compact answer, whatever it moves;
- default (no option): the default move penalty. Target: moved share <= max(5%, 2 x the fewest
  whole moves / accounts), compactness <= 1.10x the unpenalised answer's;
- --max-moves 0.1, run --repeat times: median seconds <= 10, cost <= 1.15x the unpenalised
  answer's, gap as it is.
Then, as the issue found it, owners dealt round robin (balanced, not compact): unpenalised and
default, shown without a target.
Compactness is the workload-weighted mean km from each account to its rep's home.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from territorial.generate.accounts import generate_accounts
from territorial.geo.distance import haversine_km
from territorial.services.balance import BalanceOptions, BalanceRun, balance_files

SEED = 7
DRIFT = 0.35
TOLERANCE = 0.05
# Calls a year and hours per call (meeting + travel) by segment, as in balance_bench.py.
WORK_INDEX = {"Enterprise": 24 * (2.0 + 1.0), "Mid-Market": 12 * (1.5 + 1.0), "SMB": 4 * (1.0 + 0.75)}


def book(folder: Path, size: int, reps: int) -> tuple[Path, Path]:
    """accounts.csv (account_id, lat, lon, workload) and reps.csv (rep_id, lat, lon)."""
    rng = np.random.default_rng(SEED)
    accounts = generate_accounts(size, SEED).select(
        "account_id", "state", pl.col("latitude").alias("lat"), pl.col("longitude").alias("lon"), "segment"
    )
    workload = accounts["segment"].replace_strict(WORK_INDEX, return_dtype=pl.Float64).to_numpy()
    accounts = accounts.drop("segment").with_columns(pl.Series("workload", workload))
    homes = rng.choice(size, reps, replace=False, p=workload / workload.sum())
    reps_frame = pl.DataFrame(
        {
            "rep_id": [f"R{j + 1:02d}" for j in range(reps)],
            "lat": accounts["lat"].to_numpy()[homes],
            "lon": accounts["lon"].to_numpy()[homes],
        }
    )
    accounts_path, reps_path = folder / "accounts.csv", folder / "reps.csv"
    accounts.write_csv(accounts_path)
    reps_frame.write_csv(reps_path)
    return accounts_path, reps_path


def drift(states: pl.Series) -> np.ndarray:
    """A market change: each state's accounts grow or shrink by one factor in [0.65, 1.35], and
    each account by its own in [0.9, 1.1] (independent drift alone averages out within a rep's
    book and leaves nothing to rebalance)."""
    rng = np.random.default_rng(SEED + 1)
    names = sorted(set(states.to_list()))
    by_state = dict(zip(names, rng.uniform(1 - DRIFT, 1 + DRIFT, len(names)), strict=True))
    return np.array([by_state[s] for s in states.to_list()]) * rng.uniform(0.9, 1.1, len(states))


def run(accounts: Path, reps: Path, **options: Any) -> tuple[BalanceRun, float]:
    started = time.perf_counter()
    result = balance_files(
        BalanceOptions(
            accounts=accounts, reps=reps, workload="workload", metrics={"workload": TOLERANCE}, **options
        )
    )
    return result, time.perf_counter() - started


def compactness(result: BalanceRun, reps: pl.DataFrame) -> float:
    """Workload-weighted mean km from each account to its rep's home."""
    units, labels = result.units, result.alignment.territory
    homes = reps.select("lat", "lon").to_numpy()[labels]
    km = haversine_km(units.xy[:, 0], units.xy[:, 1], homes[:, 0], homes[:, 1])
    workload = units.metrics["workload"]
    return float(np.sum(workload * km) / workload.sum())


def line(name: str, result: BalanceRun, seconds: float, reps: pl.DataFrame, base: float | None) -> str:
    a, totals = result.alignment, result.report["totals"]
    share = a.moves / a.movable if a.movable else 0.0
    km = compactness(result, reps)
    ratio = f" ({km / base:.3f}x unpenalised)" if base else ""
    penalty = totals.get("move_penalty", {"value": 0.0, "source": "none: before continuity by default"})
    priced = f"move penalty {penalty['value']:,.4g} ({penalty['source']})"
    return (
        f"{name}: {int(a.within.sum())}/{len(a.within)} within; moved {a.moves:,} of {a.movable:,} "
        f"({share:.1%}), fewest whole {totals['min_moves_whole_units']}; compactness {km:,.2f} km{ratio}; "
        f"cost {a.cost:,.6g}, gap {a.gap:.2%}; {priced}; {seconds:.1f} s"
    )


def round_robin(accounts_path: Path, reps_path: Path, reps: pl.DataFrame, size: int, k: int) -> None:
    """The issue's case: owners dealt without regard to geography (balanced, not compact), so the
    most compact answer moves nearly everyone while a few moves would do. No target: shown."""
    book_frame = pl.read_csv(accounts_path).with_columns(
        pl.Series("owner_id", [f"R{i % k + 1:02d}" for i in range(size)])
    )
    book_frame.write_csv(accounts_path)
    print("owners dealt round robin (balanced, not compact):")
    free, seconds = run(accounts_path, reps_path, move_penalty=0.0)
    base = compactness(free, reps)
    print("  " + line("unpenalised", free, seconds, reps, None))
    default, seconds = run(accounts_path, reps_path)
    print("  " + line("default", default, seconds, reps, base))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--accounts", type=int, default=5000)
    parser.add_argument("--reps", type=int, default=11)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(
        f"cores: {os.cpu_count()}; {args.accounts:,} accounts, {args.reps} reps with homes, "
        f"drift ±{DRIFT:.0%}"
    )
    with tempfile.TemporaryDirectory() as folder:
        here = Path(folder)
        accounts_path, reps_path = book(here, args.accounts, args.reps)
        reps = pl.read_csv(reps_path)
        fresh, _ = run(accounts_path, reps_path)
        drifted = pl.read_csv(accounts_path).with_columns(
            pl.col("workload") * drift(pl.read_csv(accounts_path)["state"]),
            pl.Series("owner_id", fresh.table.sort("id")["rep_id"]),
        )
        drifted.write_csv(accounts_path)

        free, seconds = run(accounts_path, reps_path, move_penalty=0.0)
        base = compactness(free, reps)
        print(line("unpenalised (--move-penalty 0)", free, seconds, reps, None))
        default, seconds = run(accounts_path, reps_path)
        print(line("default", default, seconds, reps, base))
        fewest = default.report["totals"]["min_moves_whole_units"] or 0
        allowed = max(0.05, 2 * fewest / args.accounts)
        share = default.alignment.moves / default.alignment.movable
        ratio = compactness(default, reps) / base
        print(
            f"  target: moved share {share:.2%} <= {allowed:.2%}: {'yes' if share <= allowed else 'NO'}; "
            f"compactness {ratio:.3f}x <= 1.10x: {'yes' if ratio <= 1.10 else 'NO'}"
        )
        times = []
        for attempt in range(args.repeat):
            budget, seconds = run(accounts_path, reps_path, max_moves=0.1)
            times.append(seconds)
            print(line(f"--max-moves 0.1 (run {attempt + 1})", budget, seconds, reps, base))
        cost_ratio = budget.alignment.cost / free.alignment.cost
        median = statistics.median(times)
        print(
            f"  target: median {median:.1f} s <= 10 s: {'yes' if median <= 10 else 'NO'}; cost "
            f"{cost_ratio:.3f}x the unpenalised <= 1.15x: {'yes' if cost_ratio <= 1.15 else 'NO'}; "
            f"gap {budget.alignment.gap:.2%}"
        )
        round_robin(accounts_path, reps_path, reps, args.accounts, args.reps)


if __name__ == "__main__":
    main()
