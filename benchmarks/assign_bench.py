"""Bulk and single-account assignment benchmark, against a warehouse-style DuckDB query.

    .venv/bin/python benchmarks/assign_bench.py [--accounts 1000000] [--territories 5000]

Input is Parquet. Our timing is the whole `territorial assign` process: plan parsing, reading,
assignment with overlaps, ties and reasons, and writing Parquet. The baseline is one DuckDB query
with a CASE per layer (a branch per territory, its whole chain of rules, ordered by priority,
depth and plan order) that gives the winner only. Both run as separate processes so that peak RSS
is each one's own.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import polars as pl

from territorial.domain.plan import Plan
from territorial.engine.compiled import CompiledPlan
from territorial.engine.single import TerritoryFinder
from territorial.generate.accounts import generate_accounts
from territorial.generate.plan import generate_plan
from territorial.io.output import write_table, write_text
from territorial.io.plan_file import load_plan
from territorial.rules.ast import And, Expr
from territorial.rules.to_sql import to_sql

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--accounts", type=int, default=1_000_000)
    parser.add_argument("--territories", type=int, default=5_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--work", type=Path, default=HERE.parent / "bench-output")
    args = parser.parse_args()
    work: Path = args.work
    work.mkdir(parents=True, exist_ok=True)
    accounts = work / f"accounts-{args.accounts}-{args.seed}.parquet"
    plan_path = work / f"plan-{args.territories}-{args.seed}.yaml"
    if not accounts.exists():
        print(f"generating {args.accounts:,} accounts…", flush=True)
        write_table(generate_accounts(args.accounts, args.seed), accounts)
    if not plan_path.exists():
        print(f"generating a {args.territories:,}-territory plan…", flush=True)
        write_text(generate_plan(args.territories, args.seed), plan_path)
    plan = load_plan(plan_path)
    print(
        f"machine: {os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}, "
        f"polars {pl.__version__}, duckdb {duckdb.__version__}"
    )
    print(
        f"input: {args.accounts:,} accounts (Parquet) × {len(plan.territories):,} territories, "
        f"layers {', '.join(plan.layers)}"
    )

    ours_out = work / "ours.parquet"
    ours_s, ours_rss = timed(
        [
            str(BIN / "territorial"),
            "assign",
            str(plan_path),
            "--accounts",
            str(accounts),
            "--out",
            str(ours_out),
        ],
        work / "ours.log",
    )
    sql_path = work / "baseline.sql"
    sql_path.write_text(baseline_query(plan, accounts), encoding="utf-8")
    duck_out = work / "duckdb.parquet"
    duck_s, duck_rss = timed(
        [sys.executable, __file__, "--run-duckdb", str(sql_path), str(duck_out)], work / "duckdb.log"
    )
    agree = compare(plan, ours_out, duck_out)

    print(
        f"ours:   {ours_s:6.2f} s wall, peak RSS {ours_rss / 2**30:.2f} GiB "
        "(full assignment: overlaps, ties, reps, reasons; Parquet written)"
    )
    print(f"duckdb: {duck_s:6.2f} s wall, peak RSS {duck_rss / 2**30:.2f} GiB (winner per layer only)")
    print(f"ratio:  {duck_s / ours_s:.1f}× faster than the DuckDB CASE query")
    print(f"agreement: {agree}")
    single_account(plan, accounts)


def timed(command: list[str], log: Path) -> tuple[float, int]:
    """Wall seconds and peak RSS (bytes) of one child process; its terminal output goes to `log`."""
    start = time.perf_counter()
    with log.open("w") as sink:
        child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=sink)
        _pid, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        code = os.waitstatus_to_exitcode(status)
        raise SystemExit(f"{command[0]} failed with exit code {code}; see {log}")
    return elapsed, usage.ru_maxrss * 1024


def chain_rule(plan: Plan, territory_id: str) -> Expr | None:
    rules = [t.rule for t in plan.chain(territory_id) if t.rule is not None]
    if not rules:
        return None
    return rules[0] if len(rules) == 1 else And(tuple(rules))


def baseline_query(plan: Plan, accounts: Path) -> str:
    """What a warehouse user writes: per layer one CASE, a branch per territory in resolution order."""
    cases = []
    for layer in plan.layers:
        members = sorted(
            (t for t in plan.territories if t.layer == layer), key=lambda t: (-t.priority, -t.depth, t.order)
        )
        if not members:
            continue
        branches = []
        for t in members:
            rule = chain_rule(plan, t.id)
            condition = to_sql(rule, "duckdb", case_insensitive=False) if rule is not None else "TRUE"
            branches.append(f"WHEN {condition} THEN '{t.id}'")
        cases.append(f'CASE {" ".join(branches)} END AS "{layer}"')
    return f"SELECT account_id, {', '.join(cases)} FROM read_parquet('{accounts}')"


def run_duckdb(sql_path: Path, out: Path) -> None:
    con = duckdb.connect()
    con.execute("SET preserve_insertion_order = false")
    sql = sql_path.read_text(encoding="utf-8")
    con.execute(f"COPY ({sql}) TO '{out}' (FORMAT parquet)")


def compare(plan: Plan, ours_path: Path, duck_path: Path) -> str:
    ours = pl.read_parquet(ours_path, columns=["account_id", "layer", "territory_id"])
    duck = pl.read_parquet(duck_path)
    checked = 0
    for layer in plan.layers:
        mine = ours.filter(pl.col("layer") == layer).select(
            "account_id", pl.col("territory_id").alias("ours")
        )
        theirs = duck.select("account_id", pl.col(layer).alias("duckdb")).filter(
            pl.col("duckdb").is_not_null()
        )
        joined = mine.join(theirs, on="account_id", how="full", coalesce=True)
        if layer == "primary":
            joined = joined.with_columns(pl.col("ours"), pl.col("duckdb"))
        differ = joined.filter(pl.col("ours").ne_missing(pl.col("duckdb")))
        if differ.height:
            print(differ.head(10))
            raise SystemExit(f"layer {layer}: {differ.height:,} accounts differ between ours and DuckDB")
        checked += joined.height
    return f"all {checked:,} winners identical across {len(plan.layers)} layers"


def single_account(plan: Plan, accounts: Path, samples: int = 20_000) -> None:
    finder = TerritoryFinder(CompiledPlan(plan))
    rows = pl.read_parquet(accounts).sample(n=samples, seed=7).to_dicts()
    for row in rows[:500]:  # warm up
        finder.territory_for(row)
    times = []
    for row in rows:
        start = time.perf_counter_ns()
        finder.territory_for(row)
        times.append(time.perf_counter_ns() - start)
    times.sort()
    p99 = times[int(len(times) * 0.99)]
    print(
        f"single account territory_for: median {statistics.median(times) / 1e3:.0f} µs, "
        f"p99 {p99 / 1e3:.0f} µs over {samples:,} accounts ({len(plan.territories):,} territories)"
    )


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--run-duckdb":
        run_duckdb(Path(sys.argv[2]), Path(sys.argv[3]))
    else:
        main()
