"""`make demo`: a sample plan and a realistic book around real companies, assigned and explained."""

from __future__ import annotations

from pathlib import Path

import polars as pl
from rich.console import Console

from territorial.cli import render
from territorial.generate.accounts import generate_accounts
from territorial.generate.plan import generate_plan
from territorial.io.output import write_table, write_text
from territorial.services.assign import assign_files, explain_account

DEMO_ACCOUNTS = 20_000
DEMO_TERRITORIES = 300  # enough leaves for most owners to sit in their territory's pool
DEMO_SEED = 2027


def run_demo(folder: Path, out: Console, err: Console) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    plan_path, accounts_path = folder / "plan.yaml", folder / "accounts.csv"
    result_path, summary_path = folder / "assignments.csv", folder / "territories.csv"
    with err.status("Writing the sample plan and account book…"):
        write_text(generate_plan(DEMO_TERRITORIES, DEMO_SEED), plan_path)
        write_table(generate_accounts(DEMO_ACCOUNTS, DEMO_SEED), accounts_path)
    out.print(f"1. Sample plan: {plan_path}")
    out.print(
        f"2. Account book: {accounts_path} ({DEMO_ACCOUNTS:,} accounts around the real Fortune 500 HQs)"
    )
    with err.status("Assigning…"):
        run = assign_files(plan_path, accounts_path)
        write_table(run.assignment.rows, result_path)
        write_table(run.assignment.territories, summary_path)
    out.print(f"3. Assignments: {result_path}; per-territory summary: {summary_path}")
    render.warnings(out, run.warnings)
    render.assignment_summary(out, run.assignment)
    account_id = _interesting_account(run.assignment.rows)
    out.print(f"4. Why is account {account_id} where it is?")
    render.explanation(out, explain_account(plan_path, accounts_path, account_id))
    out.print(f"\nTry: territorial explain {plan_path} --accounts {accounts_path} --account <account_id>")


def _interesting_account(rows: pl.DataFrame) -> str:
    """An account whose answer shows resolution at work: an overlap, else any assigned account."""
    overlapped = rows.filter((pl.col("layer") == "primary") & (pl.col("overlaps") != ""))
    pick = overlapped if overlapped.height else rows.filter(pl.col("territory_id").is_not_null())
    return str(pick.get_column("account_id")[0])
