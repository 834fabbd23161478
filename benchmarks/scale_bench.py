"""Assignment at scale: `territorial assign --engine duckdb|local|spark` on 1M, 3M and 10M generated
accounts from Parquet × a generated 5,000-territory plan.

    .venv/bin/python benchmarks/scale_bench.py [--accounts 1000000,3000000,10000000]
        [--engines duckdb,local,spark] [--territories 5000] [--memory-limit 4GB] [--timeout 1800]
        [--spark-master local[2]]

spark needs the [spark] extra (.venv/bin/pip install -e '.[spark]'). Its peak RSS is what wait4
reports: the largest of the CLI process and the descendants it waited for, which may leave out
the JVM that PySpark starts; read it as a lower bound.

Each run is the whole CLI process (plan, Parquet in, assignment with overlaps, ties, reps and
reasons, Parquet out), timed as a child process whose peak RSS the kernel reports (wait4's
ru_maxrss). Targets (issue #21) for duckdb at 10M: ≤ 120 s and ≤ 6 GB peak RSS. A run that fails
(out of memory, killed at --timeout) is reported as such, not left out.
"""

from __future__ import annotations

import argparse
import os
import platform
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl
from sqlglot import exp

from territorial.generate.accounts import generate_accounts
from territorial.generate.plan import generate_plan
from territorial.io.output import write_text

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
TARGET_SECONDS = 120.0
TARGET_RSS = 6 * 10**9  # 6 GB
# Accounts generated per Parquet file: 10M accounts at once took more memory than the runs measured.
GENERATED_AT_ONCE = 1_000_000


@dataclass
class Measured:
    engine: str
    accounts: int
    seconds: float
    cpu_seconds: float  # user + system: what the run costs apart from other work on the machine
    peak_rss: int  # bytes
    outcome: str  # "ok", or why not


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--accounts", default="1000000,3000000,10000000")
    parser.add_argument("--engines", default="duckdb,local")
    parser.add_argument("--territories", type=int, default=5_000)
    parser.add_argument("--memory-limit", default="4GB")
    parser.add_argument("--spark-master", default="local[2]", help="where --engine spark runs")
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds before a run is stopped")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--work", type=Path, default=HERE.parent / "bench-output" / "scale")
    args = parser.parse_args()
    work: Path = args.work
    work.mkdir(parents=True, exist_ok=True)
    sizes = [int(x) for x in args.accounts.split(",")]
    engines = args.engines.split(",")
    print(
        f"machine: {os.cpu_count()} cores (load average {os.getloadavg()[0]:.1f} at the start), "
        f"{_memory_gb():.0f} GB RAM, {platform.machine()}, "
        f"Python {platform.python_version()}, polars {pl.__version__}, duckdb {duckdb.__version__}",
        flush=True,
    )
    plan_path = work / f"plan-{args.territories}-{args.seed}.yaml"
    if not plan_path.exists():
        write_text(generate_plan(args.territories, args.seed), plan_path)
    results = []
    for size in sizes:
        accounts = accounts_folder(work, size, args.seed)
        for engine in engines:
            options = ["--memory-limit", args.memory_limit] if engine == "duckdb" else []
            if engine == "spark":
                options = ["--spark-master", args.spark_master]
            measured = run(engine, size, plan_path, accounts, work, options, args.timeout)
            results.append(measured)
            print(row(measured), flush=True)
        ran = {m.engine for m in results if m.accounts == size and m.outcome == "ok"}
        # Each engine's rows against the local engine's, else duckdb's (where local ran out of memory).
        reference = next((e for e in ("local", "duckdb") if e in ran), None)
        for engine in sorted(ran - {reference}) if reference else []:
            said = identical(work, size, reference, engine)
            print(f"  rows identical, {reference} and {engine}: {said}", flush=True)
    print()
    print(table(results, args.territories))


def accounts_folder(work: Path, size: int, seed: int) -> Path:
    """`size` generated accounts as a folder of Parquet files (made once, then reused)."""
    folder = work / f"accounts-{size}-{seed}"
    done = folder / "_complete"
    if done.exists():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    print(f"generating {size:,} accounts…", flush=True)
    start = time.perf_counter()
    # One generation, so that the accounts are those of generate_accounts(size, seed), written in
    # slices to keep the writer's memory low.
    frame = generate_accounts(size, seed)
    for part, offset in enumerate(range(0, size, GENERATED_AT_ONCE)):
        frame.slice(offset, GENERATED_AT_ONCE).write_parquet(folder / f"part-{part:03d}.parquet")
    del frame
    done.write_text("")
    print(f"  generated in {time.perf_counter() - start:.0f} s", flush=True)
    return folder


def run(
    engine: str, size: int, plan: Path, accounts: Path, work: Path, options: list[str], timeout: float
) -> Measured:
    out = work / f"out-{engine}-{size}.parquet"
    command = [str(BIN / "territorial"), "assign", str(plan), "--accounts", str(accounts), "--out", str(out)]
    command += ["--engine", engine, *options]
    log = work / f"{engine}-{size}.log"
    start = time.perf_counter()
    with log.open("w") as sink:
        child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=sink, start_new_session=True)
        deadline = start + timeout
        while True:
            pid, status, usage = os.wait4(child.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                os.killpg(child.pid, signal.SIGKILL)
                _pid, status, usage = os.wait4(child.pid, 0)
                return Measured(
                    engine, size, timeout, usage.ru_maxrss * 1024, f"stopped after {timeout:.0f} s"
                )
            time.sleep(0.2)
    seconds = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code == 0:
        outcome = "ok"
    elif code == -signal.SIGKILL:
        outcome = "killed (out of memory?)"
    else:
        outcome = f"failed, exit {code}: {_last_line(log)}"
    return Measured(engine, size, seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss * 1024, outcome)


def identical(work: Path, size: int, first: str, second: str) -> str:
    """Whether two engines' latest outputs hold the same rows in the same order: each file's
    row count and the sum of a hash of every row with its position, computed in DuckDB as one
    streaming pass (an EXCEPT ALL of 17.5M rows did not finish in 10 minutes)."""
    files = [
        exp.Literal.string(str(work / f"out-{engine}-{size}.parquet")).sql() for engine in (first, second)
    ]
    columns = (  # OVERLAPS is a keyword of DuckDB's
        "file_row_number, account_id, layer, territory_id, territory_name, rep_id, "
        '"overlaps", tie, reason, workload'
    )
    sums = []
    with duckdb.connect(config={"memory_limit": "4GB"}) as connection:
        connection.execute("SET enable_progress_bar = false").fetchall()
        for name in files:
            query = f"SELECT count(*), sum(hash({columns})) FROM read_parquet({name}, file_row_number = true)"
            sums.append(tuple(connection.execute(query).fetchall()[0]))
    if sums[0] == sums[1]:
        return f"yes ({sums[0][0]:,} rows)"
    return f"NO ({sums[0][0]:,} and {sums[1][0]:,} rows, or their contents differ)"


def row(m: Measured) -> str:
    return (
        f"{m.engine:7} {m.accounts:>12,} {m.seconds:9.1f} s wall {m.cpu_seconds:9.1f} s CPU "
        f"{m.peak_rss / 1e9:7.2f} GB  {m.outcome}"
    )


def table(results: list[Measured], territories: int) -> str:
    lines = [
        "| engine | accounts | territories | wall time | CPU time | peak RSS | outcome |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for m in results:
        lines.append(
            f"| {m.engine} | {m.accounts:,} | {territories:,} | {m.seconds:.1f} s | {m.cpu_seconds:.1f} s | "
            f"{m.peak_rss / 1e9:.2f} GB | {m.outcome} |"
        )
    at_10m = [m for m in results if m.engine == "duckdb" and m.accounts == 10_000_000 and m.outcome == "ok"]
    for m in at_10m:
        verdict = "met" if m.seconds <= TARGET_SECONDS and m.peak_rss <= TARGET_RSS else "missed"
        lines.append(
            f"\nduckdb at 10M: target ≤ {TARGET_SECONDS:.0f} s and ≤ {TARGET_RSS / 1e9:.0f} GB: {verdict} "
            f"({m.seconds:.0f} s, {m.peak_rss / 1e9:.2f} GB)"
        )
    return "\n".join(lines)


def _memory_gb() -> float:
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1e9


def _last_line(log: Path) -> str:
    lines = [line for line in log.read_text(errors="replace").splitlines() if line.strip()]
    return lines[-1][:200] if lines else "(no output)"


if __name__ == "__main__":
    main()
