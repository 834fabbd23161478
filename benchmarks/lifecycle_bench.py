"""Plan lifecycle benchmark on SQLite and PostgreSQL (#19): activation and compare beside a full
re-assignment of the same workspace, measured in the same run.

    .venv/bin/python benchmarks/lifecycle_bench.py [--accounts 1000000] [--territories 5000]

Each step is the real `territorial` command in its own process, timed end to end (process start,
reading the workspace and writing included). Plan A is the generated plan (seed 1) and plan B the
same generator with another seed, so that most accounts move. Targets (#19): activation ≤ 30 s,
compare of the active plan against a draft ≤ 15 s; draft against draft is reported.
"""

from __future__ import annotations

import argparse
import os
import platform
from pathlib import Path

from store_bench import timed, workspace
from territorial.generate.accounts import generate_accounts
from territorial.generate.plan import generate_plan
from territorial.io.output import write_table, write_text

HERE = Path(__file__).resolve().parent
# The second activation is a day later: one activation a day.
DAY_ONE, DAY_TWO = "2027-01-04T09:00:00", "2027-01-05T09:00:00"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--accounts", type=int, default=1_000_000)
    parser.add_argument("--territories", type=int, default=5_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--work", type=Path, default=HERE.parent / "bench-output")
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args()
    work: Path = args.work
    work.mkdir(parents=True, exist_ok=True)
    book = work / f"store-accounts-{args.accounts}-{args.seed}.csv"
    plans = [work / f"plan-{args.territories}-{args.seed + k}.yaml" for k in range(3)]
    if not book.exists():
        print(f"generating {args.accounts:,} accounts…", flush=True)
        write_table(generate_accounts(args.accounts, args.seed), book)
    for k, plan in enumerate(plans):
        if not plan.exists():
            write_text(generate_plan(args.territories, args.seed + k), plan)
    print(f"machine: {os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}")
    print(f"input: {args.accounts:,} accounts (CSV), plans with {args.territories:,} territories")
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    for backend in backends:
        with workspace(backend, work) as url:
            env = {**os.environ, "TERRITORIAL_DATABASE_URL": url, "TERRITORIAL_NOW": DAY_ONE}
            timed(["init"], env)
            imported = timed(["import", "accounts", str(book)], env)
            for plan in plans:
                timed(["plan", "add", str(plan)], env)
            assigned = timed(["assign", "--plan", "1"], env)
            first = timed(["plan", "activate", "1"], env)
            compared = timed(["plan", "compare", "active", "2"], env)
            drafts = timed(["plan", "compare", "2", "3"], env)
            second = timed(["plan", "activate", "2"], {**env, "TERRITORIAL_NOW": DAY_TWO})
            print(
                f"{backend}: import {imported:6.1f} s | full re-assignment (assign --plan) "
                f"{assigned:5.1f} s | first activation {first:5.1f} s, activation of another plan "
                f"{second:5.1f} s (target ≤ 30) | compare active vs draft {compared:5.1f} s "
                f"(target ≤ 15), draft vs draft {drafts:5.1f} s",
                flush=True,
            )


if __name__ == "__main__":
    main()
