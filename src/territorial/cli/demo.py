"""`make demo`: a sample plan and a realistic book around real companies with its pipeline, imported
into a workspace, assigned, exported and explained; then a month of inbound leads routed and one
decision explained; then the book balanced among reps, with a draft plan that reproduces the alignment."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import polars as pl
import typer
from rich.console import Console

from territorial.cli import render, routing_render
from territorial.cli.app import DeprecatedOutFolder, app, console, context_of, err, handled, out_folder
from territorial.cli.balance import run_balance
from territorial.domain.entities import Entity
from territorial.io.output import output_folder, write_table
from territorial.services.assign import assign_plan, explain_account
from territorial.services.balance import BalanceOptions
from territorial.services.context import Context, Role
from territorial.services.export import export_run
from territorial.services.imports import import_records
from territorial.services.lead_audit import explain_lead
from territorial.services.plans import add_plan
from territorial.services.routing import route_leads
from territorial.services.samples import (
    write_sample_accounts,
    write_sample_leads,
    write_sample_opportunities,
    write_sample_plan,
)
from territorial.services.sign_in import set_password
from territorial.services.users import add_user
from territorial.services.workspace import create_workspace

DEMO_ACCOUNTS = 20_000
DEMO_TERRITORIES = 300  # enough leaves for most owners to sit in their territory's pool
DEMO_SEED = 2027
DEMO_LEADS = 2_000
DEMO_REPS = 24  # the balance step: few enough that its table fits a screen
# The web app's demo login: a planner (the demo's accounts have no reps to sign in as). Printed on
# purpose: it guards a throw-away workspace on loopback, never a real one.
DEMO_USER, DEMO_PASSWORD = "demo", "territorial-demo"


@app.command()
@handled
def demo(
    ctx: typer.Context,
    out_dir: Annotated[
        Path | None, typer.Option("--out-dir", help="Folder for the demo's files (default: demo-output).")
    ] = None,
    old_out: DeprecatedOutFolder = None,
) -> None:
    """Generate a plan and an account book around real companies, assign, and explain one account."""
    run_demo(out_folder(out_dir, old_out, Path("demo-output")), context_of(ctx), console(), err)


def run_demo(folder: Path, ctx: Context, out: Console, err: Console) -> None:
    output_folder(folder)
    plan_path, accounts_path = folder / "plan.yaml", folder / "accounts.csv"
    database = folder / "territorial.db"
    for stale in (database, Path(f"{database}-wal"), Path(f"{database}-shm")):
        stale.unlink(missing_ok=True)  # the demo starts from an empty workspace every time
    with err.status("Writing the sample plan and account book…"):
        write_sample_plan(DEMO_TERRITORIES, DEMO_SEED, plan_path)
        write_sample_accounts(DEMO_ACCOUNTS, DEMO_SEED, accounts_path)
    out.print(f"1. Sample plan: {plan_path}")
    out.print(
        f"2. Account book: {accounts_path} ({DEMO_ACCOUNTS:,} accounts around the real Fortune 500 HQs)"
    )
    workspace = create_workspace(f"sqlite:///{database}")
    with err.status("Importing accounts into the workspace…") as status:
        report = import_records(
            workspace, ctx, Entity.ACCOUNTS, accounts_path, progress=lambda s, _f: status.update(f"{s}…")
        )
    out.print(f"3. Workspace {database}:")
    render.import_report(out, report)
    opportunities_path, history_path = folder / "opportunities.csv", folder / "opportunity_history.csv"
    with err.status("Writing and importing the sample pipeline…"):
        deals = write_sample_opportunities(accounts_path, DEMO_SEED, opportunities_path, history_path)
        import_records(workspace, ctx, Entity.OPPORTUNITIES, opportunities_path)
        import_records(workspace, ctx, Entity.OPPORTUNITY_HISTORY, history_path)
    out.print(
        f"   Pipeline: {deals:,} opportunities over two years with their stage history ({opportunities_path})"
    )
    plan_id = add_plan(workspace, ctx, plan_path)
    with err.status("Assigning…") as status:
        run = assign_plan(workspace, ctx, plan_id, progress=lambda s, _f: status.update(f"{s}…"))
        written = export_run(workspace, run.run_id, "csv", folder / "export").written
        write_table(run.assignment.territories, folder / "territories.csv")
    out.print(f"4. Plan {plan_id} assigned as run {run.run_id}; exported to {', '.join(map(str, written))}")
    render.warnings(out, run.warnings)
    render.assignment_summary(out, run.assignment)
    account_id = _interesting_account(run.assignment.rows)
    out.print(f"5. Why is account {account_id} where it is?")
    render.explanation(out, explain_account(plan_path, accounts_path, account_id).explanation)
    leads_path = folder / "leads.csv"
    write_sample_leads(DEMO_ACCOUNTS, DEMO_LEADS, DEMO_SEED, leads_path)
    with err.status("Routing leads…") as status:
        batch = route_leads(
            workspace, ctx, leads_path, plan_id, progress=lambda s, _f: status.update(f"{s}…")
        )
        write_table(batch.rows, folder / "lead_decisions.csv")
    out.print(f"6. {DEMO_LEADS:,} inbound leads ({leads_path}) routed to {folder / 'lead_decisions.csv'}:")
    routing_render.batch_summary(out, batch.decisions)
    routed = next(d for d in batch.decisions if d.in_pool)
    out.print(f"7. Why did lead {routed.lead_id} go to {routed.rep_id}?")
    routing_render.decision_path(out, explain_lead(workspace, routed.lead_id)[-1])
    balanced = folder / "balance"
    balanced.mkdir(exist_ok=True)
    out.print(
        f"8. The book balanced among {DEMO_REPS} reps: work-index workload ±5%, every territory "
        f"connected over county borders ({balanced}/alignment.csv, report.json, plan.yaml):"
    )
    request = BalanceOptions(
        accounts=accounts_path,
        k=DEMO_REPS,
        workload="work-index",
        contiguous=True,
        adjacency="county",
        seed=DEMO_SEED,
    )
    run_balance(request, balanced / "alignment.csv", balanced / "report.json", err, balanced / "plan.yaml")
    out.print(
        f"\nTry: territorial --database-url sqlite:///{database} export assignments --run {run.run_id} "
        "--format salesforce --rep-ids-from salesforce --out-dir export-sf"
    )
    out.print(f"     territorial --database-url sqlite:///{database} route fairness")
    out.print(
        f"     territorial --database-url sqlite:///{database} fairness "
        "--measure workload,open_pipeline,bookings --period 2026Q4"
    )
    add_user(workspace, ctx, DEMO_USER, Role.PLANNER)
    set_password(workspace, ctx, DEMO_USER, DEMO_PASSWORD)
    out.print(f"\nThe web app: territorial --database-url sqlite:///{database} serve")
    out.print(
        f"     then open http://127.0.0.1:8000/sign-in and sign in as {DEMO_USER}, "
        f"password {DEMO_PASSWORD} (a planner; this demo workspace only)"
    )


def _interesting_account(rows: pl.DataFrame) -> str:
    """An account whose answer shows resolution at work: an overlap, else any assigned account."""
    overlapped = rows.filter((pl.col("layer") == "primary") & (pl.col("overlaps") != ""))
    pick = overlapped if overlapped.height else rows.filter(pl.col("territory_id").is_not_null())
    return str(pick.get_column("account_id")[0])
