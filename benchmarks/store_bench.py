"""Workspace benchmark on SQLite and PostgreSQL: bulk import, unchanged re-import, a 1% change
import, and DB-backed assignment of the whole book.

    .venv/bin/python benchmarks/store_bench.py [--accounts 1000000] [--territories 5000]

Each step runs the real `territorial` command as its own process and is timed end to end.
PostgreSQL is the server at TERRITORIAL_TEST_POSTGRES_URL (default 127.0.0.1:5432, database
test), in a schema of its own that is dropped afterwards.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
import uuid
from pathlib import Path

import polars as pl
from sqlalchemy import create_engine, text

from territorial.generate.accounts import generate_accounts
from territorial.generate.plan import generate_plan
from territorial.io.output import write_table, write_text

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent / "territorial"


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
    changed = work / f"store-accounts-{args.accounts}-{args.seed}-changed.csv"
    plan = work / f"plan-{args.territories}-{args.seed}.yaml"
    if not book.exists():
        print(f"generating {args.accounts:,} accounts…", flush=True)
        accounts = generate_accounts(args.accounts, args.seed)
        write_table(accounts, book)
        write_table(one_percent_changed(accounts), changed)
    if not plan.exists():
        write_text(generate_plan(args.territories, args.seed), plan)
    expected_changes = args.accounts // 100
    print(f"machine: {os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}")
    print(f"input: {args.accounts:,} accounts (CSV), plan with {args.territories:,} territories")
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    for backend in backends:
        with workspace(backend, work) as url:
            env = {**os.environ, "TERRITORIAL_DATABASE_URL": url}
            run(["init"], env)
            first = timed(["import", "accounts", str(book)], env)
            again = timed(["import", "accounts", str(book)], env)
            unchanged_changes = history_count(url, 2)
            third = timed(["import", "accounts", str(changed)], env)
            changes = history_count(url, 3)
            run(["plan", "add", str(plan)], env)
            assigned = timed(["assign", "--plan", "1"], env)
            print(
                f"{backend}: import {first:6.1f} s (target ≤ 60) | unchanged re-import {again:5.1f} s, "
                f"{unchanged_changes} changes recorded (target ≤ 30 s, 0) | 1% changed: {third:5.1f} s, "
                f"{changes:,} changes recorded, expected {expected_changes:,} | "
                f"DB-backed assign {assigned:5.1f} s (target ≤ 20)",
                flush=True,
            )


def one_percent_changed(accounts: pl.DataFrame) -> pl.DataFrame:
    """Every hundredth account gets a new employee count: exactly 1% of rows, one field each."""
    hundredth = pl.int_range(pl.len()) % 100 == 0
    return accounts.with_columns(
        pl.when(hundredth).then(pl.col("employees") + 1).otherwise(pl.col("employees")).alias("employees")
    )


def generated_inputs(work: Path, accounts: int, territories: int, seed: int) -> tuple[Path, Path]:
    """The generated book (CSV) and plan (YAML) in `work`, written once and reused by later runs."""
    work.mkdir(parents=True, exist_ok=True)
    book = work / f"store-accounts-{accounts}-{seed}.csv"
    plan = work / f"plan-{territories}-{seed}.yaml"
    if not book.exists():
        print(f"generating {accounts:,} accounts…", flush=True)
        write_table(generate_accounts(accounts, seed), book)
    if not plan.exists():
        write_text(generate_plan(territories, seed), plan)
    return book, plan


class workspace:
    def __init__(self, backend: str, work: Path) -> None:
        self.backend = backend
        self.work = work

    def __enter__(self) -> str:
        if self.backend == "sqlite":
            self.path = self.work / f"bench-{uuid.uuid4().hex[:8]}.db"
            return f"sqlite:///{self.path}"
        base = os.environ.get("TERRITORIAL_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
        self.base = base.replace("postgresql://", "postgresql+psycopg://", 1)
        self.schema = f"bench_{uuid.uuid4().hex[:8]}"
        with create_engine(self.base).begin() as connection:
            connection.execute(text(f"CREATE SCHEMA {self.schema}"))
        return f"{self.base}?options=-csearch_path%3D{self.schema}"

    def __exit__(self, *_exc: object) -> None:
        if self.backend == "sqlite":
            for suffix in ("", "-wal", "-shm"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)
            return
        with create_engine(self.base).begin() as connection:
            connection.execute(text(f"DROP SCHEMA {self.schema} CASCADE"))


def run(arguments: list[str], env: dict[str, str]) -> None:
    subprocess.run(
        [str(BIN), *arguments], env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def timed(arguments: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    run(arguments, env)
    return time.perf_counter() - start


def history_count(url: str, import_id: int) -> int:
    with create_engine(url).connect() as connection:
        return int(
            connection.execute(
                text("SELECT count(*) FROM history WHERE import_id = :i AND field <> '(created)'"),
                {"i": import_id},
            ).scalar_one()
        )


if __name__ == "__main__":
    main()
