"""Plan lifecycle benchmark on SQLite and PostgreSQL (#19): activation and compare beside a full
re-assignment of the same workspace, measured in the same run.

    .venv/bin/python benchmarks/lifecycle_bench.py [--accounts 1000000] [--territories 5000]
    .venv/bin/python benchmarks/lifecycle_bench.py --only export   # the delta export alone

Each step is the real `territorial` command in its own process, timed end to end (process start,
reading the workspace and writing included). Plan A is the generated plan (seed 1) and plan B the
same generator with another seed, so that most accounts move. Targets (#19): activation ≤ 30 s,
compare of the active plan against a draft ≤ 15 s; draft against draft is reported; the delta
export (`export changes`) of 10,000 changes ≤ 2 s. For the export, 10,000 primary rows of the live
assignment are moved (each takes another moved row's territory and rep) through the change log's own
write path, then 1,000 of them move back and 1,000 others move (A → B → A is no row): 12,000 changed
rows, 10,000 net. Then, in this
process, an import that changes 10,000 accounts' industry while plan B is active: the incremental
re-evaluation it ends with (loading the active plan included, writing included) ≤ 3 s beyond the
import itself.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from datetime import date, datetime
from pathlib import Path

import polars as pl

from store_bench import timed, workspace
from territorial.domain.entities import Entity
from territorial.domain.lifecycle import ChangeKind
from territorial.generate.accounts import generate_accounts
from territorial.generate.plan import generate_plan
from territorial.io.output import write_table, write_text
from territorial.io.tables import read_table
from territorial.services.change_log import write_live
from territorial.services.context import Context
from territorial.services.delta_export import export_changes
from territorial.services.imports import import_records
from territorial.services.reevaluation import STARTED
from territorial.store.workspace import open_workspace

HERE = Path(__file__).resolve().parent
# The second activation is a day later: one activation a day.
DAY_ONE, DAY_TWO = "2027-01-04T09:00:00", "2027-01-05T09:00:00"
# The delta export's figure: this many changes, net (#19: ≤ 2 s).
EXPORTED_CHANGES = 10_000
MOVED_BACK = 1_000
CHANGED = 10_000  # accounts the import changes while a plan is active


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--accounts", type=int, default=1_000_000)
    parser.add_argument("--territories", type=int, default=5_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--work", type=Path, default=HERE.parent / "bench-output")
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--only", choices=["export"], help="export: activate and time the delta export only")
    parser.add_argument(
        "--incremental-only",
        action="store_true",
        help="only the full re-assignment, one activation and the import re-evaluated incrementally",
    )
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
            if args.only == "export":
                timed(["plan", "activate", "1"], env)
                print(f"{backend}: delta export {delta_export(url, env, work)}", flush=True)
                continue
            assigned = timed(["assign", "--plan", "1"], env)
            first = timed(["plan", "activate", "1"], env)
            if args.incremental_only:
                figures = import_while_active(url, changed_industries(book, work), DAY_ONE)
                print(
                    f"{backend}: import {imported:6.1f} s | full re-assignment (assign --plan) "
                    f"{assigned:5.1f} s | activation {first:5.1f} s | {figures}",
                    flush=True,
                )
                continue
            compared = timed(["plan", "compare", "active", "2"], env)
            drafts = timed(["plan", "compare", "2", "3"], env)
            second = timed(["plan", "activate", "2"], {**env, "TERRITORIAL_NOW": DAY_TWO})
            figures = import_while_active(url, changed_industries(book, work), DAY_TWO)
            print(
                f"{backend}: import {imported:6.1f} s | full re-assignment (assign --plan) "
                f"{assigned:5.1f} s | first activation {first:5.1f} s, activation of another plan "
                f"{second:5.1f} s (target ≤ 30) | compare active vs draft {compared:5.1f} s "
                f"(target ≤ 15), draft vs draft {drafts:5.1f} s | {figures} | "
                f"delta export {delta_export(url, env, work)}",
                flush=True,
            )


def delta_export(url: str, env: dict[str, str], work: Path) -> str:
    """Time `export changes --since last-export` (salesforce, then csv) after EXPORTED_CHANGES moves,
    the watermark set by a first export of everything: in this process (the service the command
    calls), as the figure's target is for the export, and as the command (process start included,
    which is seconds of imports on a loaded machine)."""
    everything = timed(["export", "changes", "--since", "2027-01-01", "--out-dir", str(work / "d-all")], env)
    _move(url, 0, EXPORTED_CHANGES)
    _move(url, 0, MOVED_BACK, back=True)
    _move(url, EXPORTED_CHANGES, MOVED_BACK)
    workspace = open_workspace(url)
    ctx = Context.admin("bench", datetime(2027, 1, 6, 10, 0))
    start = time.perf_counter()
    salesforce = export_changes(
        workspace, ctx, "last-export", "salesforce", work / "d-sf", rep_ids_from="salesforce"
    )
    in_process = time.perf_counter() - start
    start = time.perf_counter()
    export_changes(workspace, ctx, "2027-01-06", "csv", work / "d-csv")
    csv_in_process = time.perf_counter() - start
    workspace.engine.dispose()
    command = timed(["export", "changes", "--since", "2027-01-06", "--out-dir", str(work / "d-cmd")], env)
    return (
        f"of {salesforce.changes:,} net changes ({salesforce.owners:,} owner updates): salesforce "
        f"{in_process:4.2f} s, csv {csv_in_process:4.2f} s in process (target ≤ 2), the csv command "
        f"{command:4.1f} s; the command's csv of everything since the first activation {everything:4.1f} s"
    )


def _move(url: str, start: int, count: int, back: bool = False) -> None:
    """Move `count` primary live rows (from the `start`-th of evenly spaced ones in account order, so
    they spread over the territories) each to the next one's territory and rep, or `back` to where the
    first move took them from, as one change set through the change log's write path."""
    workspace = open_workspace(url)
    ctx = Context.admin("bench", datetime(2027, 1, 6, 9, 0))
    with workspace.unit_of_work(write=True, lock="activation") as uow:
        live = uow.live.rows().sort("account_id", "layer")
        primary = live.filter(pl.col("layer") == "primary")
        primary = primary.gather_every(max(1, primary.height // (EXPORTED_CHANGES + MOVED_BACK)))
        picked = primary.slice(start, count)
        if back:
            ours = pl.col("account_id").is_in(picked["account_id"].to_list())
            changes = uow.changes.rows_after(0).filter(ours & (pl.col("cause") == "benchmark move"))
            first = changes.group_by("account_id", maintain_order=True).first()
            moved = picked.drop("territory_id", "rep_id").join(
                first.select(
                    "account_id",
                    pl.col("from_territory_id").alias("territory_id"),
                    pl.col("from_rep_id").alias("rep_id"),
                ),
                on="account_id",
            )
        else:
            moved = picked.with_columns(
                pl.col("territory_id").shift(-1, fill_value=pl.col("territory_id").first()),
                pl.col("rep_id").shift(-1, fill_value=pl.col("rep_id").first()),
            )
        moved = moved.with_columns(
            pl.lit("benchmark move").alias("cause"), pl.lit(date(2027, 1, 6)).alias("since")
        )
        rows = pl.concat(
            [live.join(moved, on=["account_id", "layer"], how="anti"), moved.select(live.columns)]
        )
        write_live(
            uow,
            ctx,
            ChangeKind.OVERRIDE,
            f"benchmark: {count} accounts moved",
            date(2027, 1, 6),
            live,
            rows,
            moved["account_id"].to_list(),
        )
    workspace.engine.dispose()


def changed_industries(book: Path, work: Path) -> Path:
    """An export of CHANGED accounts spread over the book, each with another industry (the next in
    the book's list of industries), the rest of the row as it was."""
    path = work / f"{book.stem}-{CHANGED}-changed.csv"
    if path.exists():
        return path
    accounts = read_table(book).frame
    step = max(accounts.height // CHANGED, 1)
    some = accounts.gather_every(step).head(CHANGED)
    industries = sorted(some.get_column("industry").drop_nulls().unique().to_list())
    following = {name: industries[(k + 1) % len(industries)] for k, name in enumerate(industries)}
    write_table(some.with_columns(pl.col("industry").replace(following)), path)
    return path


def import_while_active(url: str, changed: Path, now: str) -> str:
    """The import's time, the part of it its re-evaluation took (from the progress message that
    starts it to the commit), and how many live rows moved."""
    marks: dict[str, float] = {}

    def progress(message: str, _fraction: float | None) -> None:
        marks.setdefault(message, time.perf_counter())

    store = open_workspace(url)
    ctx = Context.admin("bench", datetime.fromisoformat(now))
    start = time.perf_counter()
    report = import_records(store, ctx, Entity.ACCOUNTS, changed, progress=progress)
    end = time.perf_counter()
    store.engine.dispose()
    assert report.live is not None
    steps = sorted((at, message) for message, at in marks.items() if at >= marks[STARTED])
    spent = ", ".join(
        f"{message} {(later - at):.1f} s"
        for (at, message), (later, _) in zip(steps, [*steps[1:], (end, "")], strict=True)
    )
    return (
        f"import of {CHANGED:,} changed accounts {end - start:5.1f} s, of which the incremental "
        f"re-evaluation {end - marks[STARTED]:5.2f} s (target ≤ 3; {report.live.accounts:,} accounts "
        f"re-evaluated, {report.live.changed:,} live rows moved; {spent})"
    )


if __name__ == "__main__":
    main()
