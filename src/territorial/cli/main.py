"""Entry point of the `territorial` command."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from typer.core import TyperGroup

from territorial.cli import render, routing_render
from territorial.cli.progress import stage_bar
from territorial.domain.entities import Entity
from territorial.errors import BadInput
from territorial.io.output import check_writable, write_table, write_text
from territorial.optimize.problem import DEFAULT_AIM
from territorial.services import assign as assign_service
from territorial.services import export as export_service
from territorial.services import imports as import_service
from territorial.services import workspace as workspace_service
from territorial.store.workspace import Workspace, init_workspace, open_workspace


class DefaultCommandGroup(TyperGroup):
    """A command group whose first command runs when the first argument names no command, so that
    `territorial route LEADS.csv` and `territorial route explain LEAD_ID` both read naturally."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:  # typer vendors its own click Context
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = [next(iter(self.commands)), *args]
        return super().parse_args(ctx, args)


app = typer.Typer(add_completion=False, no_args_is_help=True, help="Sales territory management.")
generate_app = typer.Typer(no_args_is_help=True, help="Generate realistic sample data.")
app.add_typer(generate_app, name="generate")
db_app = typer.Typer(no_args_is_help=True, help="Workspace database maintenance.")
app.add_typer(db_app, name="db")
plan_app = typer.Typer(no_args_is_help=True, help="Plans stored in the workspace.")
app.add_typer(plan_app, name="plan")
export_app = typer.Typer(no_args_is_help=True, help="Write stored results for a CRM.")
app.add_typer(export_app, name="export")
route_app = typer.Typer(
    cls=DefaultCommandGroup,
    no_args_is_help=True,
    help="Lead routing: `territorial route LEADS --plan PLAN` routes a file; "
    "`route explain` and `route fairness` read the audit.",
)
app.add_typer(route_app, name="route")
score_app = typer.Typer(
    no_args_is_help=True,
    help="Fit scores (the chance that an account or lead converts) and account potential.",
)
app.add_typer(score_app, name="score")

ImportFile = Annotated[Path, typer.Argument(help="CSV (any delimiter), Excel .xlsx or Parquet file.")]
MappingOpt = Annotated[
    str | None, typer.Option("--mapping", help="salesforce, hubspot, or a mapping YAML file.")
]
FullSyncOpt = Annotated[
    bool,
    typer.Option("--full-sync", help="Mark records missing from the file inactive (nothing is deleted)."),
]
SkipOpt = Annotated[
    bool, typer.Option("--skip-invalid", help="Import the good rows; write the rejected ones to --rejects.")
]
RejectsOpt = Annotated[
    Path | None, typer.Option("--rejects", help="Where rejected rows go (default: <input name>.rejects.csv).")
]

err = Console(stderr=True)
T = TypeVar("T")

EXIT_BAD_INPUT = 2
EXIT_INTERNAL = 1


def run(step: Callable[[], T]) -> T:
    """Run a command body, turning bad input into exit 2 and anything unexpected into exit 1."""
    try:
        return step()
    except BadInput as problem:
        err.print(f"[red]error:[/red] {escape(str(problem))}", highlight=False, soft_wrap=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    except (typer.Exit, BrokenPipeError):
        raise
    except Exception as unexpected:
        err.print(
            f"[red]internal error:[/red] {type(unexpected).__name__}: {escape(str(unexpected))}",
            highlight=False,
        )
        raise typer.Exit(EXIT_INTERNAL) from None


PlanArg = Annotated[Path, typer.Argument(help="Plan YAML file.")]
AccountsOpt = Annotated[Path, typer.Option("--accounts", help="Accounts CSV or Parquet.")]


@app.callback()
def workspace_option(
    ctx: typer.Context,
    database_url: Annotated[
        str | None,
        typer.Option(
            "--database-url",
            envvar="TERRITORIAL_DATABASE_URL",
            help="The workspace database: sqlite:///file.db (default ./territorial.db) or "
            "postgresql+psycopg://user@host/db.",
        ),
    ] = None,
) -> None:
    """Sales territory management."""
    ctx.obj = {"database_url": database_url}


def workspace_of(ctx: typer.Context) -> Workspace:
    return open_workspace(ctx.obj["database_url"] if ctx.obj else None)


@app.command()
def init(ctx: typer.Context) -> None:
    """Create a workspace (SQLite ./territorial.db unless --database-url says otherwise)."""

    def body() -> None:
        workspace = init_workspace(ctx.obj["database_url"])
        err.print(f"workspace ready: {workspace.name}")

    run(body)


@db_app.command("upgrade")
def db_upgrade(ctx: typer.Context) -> None:
    """Bring an existing workspace's schema to this version of Territorial."""

    def body() -> None:
        workspace = init_workspace(ctx.obj["database_url"])
        err.print(f"workspace schema is current: {workspace.name}")

    run(body)


@plan_app.command("add")
def plan_add(ctx: typer.Context, plan: PlanArg) -> None:
    """Store a plan in the workspace; prints its id."""

    def body() -> None:
        plan_id = workspace_service.add_plan(workspace_of(ctx), plan)
        print(plan_id)
        err.print(f"stored plan {plan} as plan {plan_id}")

    run(body)


@plan_app.command("list")
def plan_list(ctx: typer.Context) -> None:
    """The workspace's plans."""

    def body() -> None:
        plans = workspace_service.list_plans(workspace_of(ctx))
        render.plans(Console(), plans)

    run(body)


@export_app.command("assignments")
def export_assignments(
    ctx: typer.Context,
    run_id: Annotated[int, typer.Option("--run", help="The assignment run to export.")],
    fmt: Annotated[str, typer.Option("--format", help="csv, parquet, salesforce or hubspot.")] = "csv",
    out: Annotated[Path, typer.Option("--out", help="Folder to write into.")] = Path("export"),
    territory_ids: Annotated[
        Path | None, typer.Option("--territory-ids", help="CSV territory_id,salesforce_id (Salesforce).")
    ] = None,
    user_ids: Annotated[
        Path | None,
        typer.Option(
            "--user-ids",
            help="CSV with rep_id and salesforce_user_id or hubspot_owner_id: the reps' CRM user ids.",
        ),
    ] = None,
    rep_ids_from: Annotated[
        str | None,
        typer.Option(
            "--rep-ids-from", help="salesforce or hubspot: the rep ids already are that CRM's user ids."
        ),
    ] = None,
) -> None:
    """Write a stored run's assignments as files a CRM can load."""

    def body() -> None:
        workspace = workspace_of(ctx)
        written = export_service.export_run(
            workspace, run_id, fmt, out, territory_ids, user_ids, rep_ids_from
        )
        for path in written:
            err.print(f"wrote {path}")

    run(body)


@score_app.command("train")
def score_train(
    history: Annotated[Path, typer.Option("--history", help="Past accounts or leads with their outcome.")],
    label: Annotated[str, typer.Option("--label", help="The outcome column (1/0, true/false, yes/no).")],
    out: Annotated[Path, typer.Option("--out", help="Model file to write.")],
    exclude_columns: Annotated[
        str, typer.Option("--exclude-columns", help="Comma-separated columns known only after the outcome.")
    ] = "",
    estimator: Annotated[
        str, typer.Option("--estimator", help="auto (chosen by cross-validation), gbm, logistic or blend.")
    ] = "auto",
) -> None:
    """Train a conversion model; prints cross-validated ROC AUC, PR AUC and a calibration table."""

    def body() -> None:
        from territorial.services.scoring import train_fit_model

        if estimator not in ("auto", "gbm", "logistic", "blend"):
            raise BadInput.at(
                f"unknown estimator {estimator!r}; expected auto, gbm, logistic or blend", "--estimator"
            )
        excluded = [c.strip() for c in exclude_columns.split(",") if c.strip()]
        with stage_bar(err) as progress:
            report = train_fit_model(history, label, excluded, out, estimator, progress=progress)  # type: ignore[arg-type]
        render.training(Console(), report, out)

    run(body)


@score_app.command("train-potential")
def score_train_potential(
    history: Annotated[
        Path, typer.Option("--history", help="Past deals or accounts with the value to learn.")
    ],
    target: Annotated[str, typer.Option("--target", help="The number to learn, e.g. close_value.")],
    out: Annotated[
        Path, typer.Option("--out", help="Model file to write; a plan's `potential: {model: …}`.")
    ],
    only: Annotated[
        str | None,
        typer.Option("--only", help="Learn from the rows where COLUMN=VALUE only, e.g. deal_stage=Won."),
    ] = None,
    exclude_columns: Annotated[
        str, typer.Option("--exclude-columns", help="Comma-separated columns the model must not use.")
    ] = "",
    estimator: Annotated[
        str, typer.Option("--estimator", help="auto (chosen by cross-validation), gbm or linear.")
    ] = "auto",
) -> None:
    """Train an account-potential model (e.g. expected deal value from won deals); prints
    cross-validated R² and mean absolute error."""

    def body() -> None:
        from territorial.services.scoring import train_potential_model

        if estimator not in ("auto", "gbm", "linear"):
            raise BadInput.at(f"unknown estimator {estimator!r}; expected auto, gbm or linear", "--estimator")
        excluded = [c.strip() for c in exclude_columns.split(",") if c.strip()]
        with err.status("Training with 5-fold cross-validation…"):
            report = train_potential_model(history, target, excluded, out, estimator, only)  # type: ignore[arg-type]
        render.potential_training(Console(), report, out)

    run(body)


@score_app.command("apply")
def score_apply(
    file: Annotated[Path, typer.Argument(help="Accounts or leads to score.")],
    model: Annotated[Path, typer.Option("--model", help="A model file from `score train`.")],
    out: Annotated[Path, typer.Option("--out", help="Where to write id, score, grade and reasons.")],
    id_column: Annotated[str | None, typer.Option("--id", help="The id column (default: the first).")] = None,
) -> None:
    """Score a file: a 0–100 score, a grade (A ≥ 75, B ≥ 50, C ≥ 25, D) and the top three reasons."""

    def body() -> None:
        from territorial.services.scoring import apply_fit_model

        with err.status("Scoring…"):
            rows = apply_fit_model(model, file, out, id_column)
        err.print(f"scored {rows:,} rows into {out}")

    run(body)


@score_app.command("relevance")
def score_relevance(
    file: Annotated[Path, typer.Argument(help="Leads with their inquiry text (CSV, Excel or Parquet).")],
    catalogue: Annotated[Path, typer.Option("--catalogue", help="The product catalogue YAML.")],
    out: Annotated[Path, typer.Option("--out", help="Where to write id, relevance, product, not_relevant.")],
    text_column: Annotated[str, typer.Option("--text", help="The inquiry text column.")] = "inquiry",
    id_column: Annotated[str | None, typer.Option("--id", help="The id column (default: the first).")] = None,
    threshold: Annotated[
        float | None,
        typer.Option("--threshold", help="Flag inquiries below this relevance (default: calibrated, 0.5)."),
    ] = None,
) -> None:
    """Is each inquiry about our products? A 0–1 relevance, the closest product and a not_relevant flag."""

    def body() -> None:
        import time

        from rich.progress import Progress

        from territorial.services.scoring import score_relevance

        loading = err.status("Loading the language model…")
        progress = Progress(console=err, transient=True)
        task = progress.add_task("Scoring inquiries", total=None)
        started = 0.0

        def on_batch(done: int, total: int) -> None:
            # The bar appears only when the whole file will take more than about two seconds.
            nonlocal started
            if done == 0:
                loading.stop()
                started = time.monotonic()
            elif (
                not progress.live.is_started
                and done < total
                and (time.monotonic() - started) * total / done > 2.0
            ):
                progress.start()
            progress.update(task, completed=done, total=total)

        loading.start()
        try:
            rows = score_relevance(catalogue, file, out, text_column, id_column, threshold, on_batch)
        finally:
            loading.stop()
            progress.stop()
        err.print(f"scored {rows:,} inquiries into {out}")

    run(body)


@route_app.command("batch")
def route_batch(
    ctx: typer.Context,
    leads: Annotated[Path, typer.Argument(help="Leads CSV, Excel or Parquet with a lead_id column.")],
    plan: Annotated[str, typer.Option("--plan", help="A plan YAML file, or a stored plan's id.")],
    reps: Annotated[
        Path | None,
        typer.Option("--reps", help="Reps file (default: the workspace's reps): lead_weight, caps, skills."),
    ] = None,
    availability: Annotated[
        Path | None, typer.Option("--availability", help="Out-of-office CSV: rep_id, start, end.")
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Decisions file (.csv or .parquet); stdout if left out.")
    ] = None,
    on: Annotated[
        str | None,
        typer.Option("--date", help="The day of leads without a created date (YYYY-MM-DD; default today)."),
    ] = None,
) -> None:
    """Route a batch of leads: duplicate check, qualification, account match, territory, round robin.

    Writes lead_id, decision, rep_id, territory_id, matched_account_id, score, reason (then relevance,
    product and queue); every decision is stored with its path for `territorial route explain`."""

    def body() -> None:
        from datetime import date

        from territorial.services import lead_audit, routing

        try:
            day = date.fromisoformat(on) if on is not None else None
        except ValueError:
            raise BadInput.at(f"expected a date as YYYY-MM-DD, got {on!r}", "--date") from None
        target = workspace_service.plan_reference(plan)
        check_writable(out)  # before any decision is stored
        workspace = workspace_of(ctx)
        with stage_bar(err) as progress:
            router = routing.open_router(workspace, target, reps, availability, progress=progress)
            batch = routing.route_file(workspace, router, leads, today=day, progress=progress)
            write_table(batch.rows, out)
        render.warnings(err, batch.warnings)
        routing_render.batch_summary(err, batch.decisions)
        pooled = [d for d in batch.decisions if d.in_pool]
        if pooled:
            routing_render.fairness(
                err, lead_audit.fairness_report(workspace, route_run_id=batch.route_run_id), "this batch"
            )
        if out is not None:
            err.print(f"wrote {len(batch.decisions):,} decisions to {out}")
        err.print(
            f"stored as routing run {batch.route_run_id}; "
            "`territorial route explain LEAD_ID` shows a lead's path"
        )

    run(body)


@route_app.command("explain")
def route_explain(
    ctx: typer.Context,
    lead_id: Annotated[str, typer.Argument(help="The lead's id.")],
    every: Annotated[bool, typer.Option("--all", help="Show every time the lead was routed.")] = False,
) -> None:
    """Show how a lead was routed: each step, its inputs and its outcome."""

    def body() -> None:
        from territorial.services import lead_audit

        decisions = lead_audit.explain_lead(workspace_of(ctx), lead_id)
        shown = decisions if every else decisions[-1:]
        console = Console()
        for decision in shown:
            routing_render.decision_path(console, decision)
        if len(decisions) > 1 and not every:
            err.print(
                f"lead {lead_id} was routed {len(decisions)} times; this is the latest (--all shows all)"
            )

    run(body)


@route_app.command("fairness")
def route_fairness(
    ctx: typer.Context,
    start: Annotated[str | None, typer.Option("--from", help="First lead day (YYYY-MM-DD).")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Last lead day (YYYY-MM-DD).")] = None,
    reps: Annotated[
        Path | None, typer.Option("--reps", help="Reps file for the weights (default: the workspace's reps).")
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the report here (.csv or .parquet).")
    ] = None,
) -> None:
    """Leads and expected value per rep against their weight share of the pool, for a period."""

    def body() -> None:
        from datetime import date

        from territorial.io.reps import read_reps
        from territorial.services import lead_audit

        days = []
        for option, text in (("--from", start), ("--to", end)):
            try:
                days.append(date.fromisoformat(text) if text is not None else None)
            except ValueError:
                raise BadInput.at(f"expected a date as YYYY-MM-DD, got {text!r}", option) from None
        weights = read_reps(reps) if reps is not None else None
        report = lead_audit.fairness_report(workspace_of(ctx), days[0], days[1], weights)
        if out is not None:
            write_table(report, out)
        period = f"{start or 'the first lead'} to {end or 'the last lead'}"
        routing_render.fairness(Console(), report, period)

    run(body)


@app.command("import")
def import_records(
    ctx: typer.Context,
    entity: Annotated[
        Entity, typer.Argument(help="What the file holds: accounts, reps, opportunities or leads.")
    ],
    file: ImportFile,
    mapping: MappingOpt = None,
    full_sync: FullSyncOpt = False,
    skip_invalid: SkipOpt = False,
    rejects: RejectsOpt = None,
) -> None:
    """Import a CRM export (CSV, Excel or Parquet) into the workspace: `import accounts FILE`."""
    run_import(ctx, entity, file, mapping, full_sync, skip_invalid, rejects)


def run_import(
    ctx: typer.Context,
    entity: Entity,
    file: Path,
    mapping: str | None,
    full_sync: bool,
    skip_invalid: bool,
    rejects: Path | None,
) -> None:
    def body() -> None:
        workspace = workspace_of(ctx)
        with stage_bar(err) as progress:
            report = import_service.import_file(
                workspace,
                entity,
                file,
                mapping,
                full_sync,
                skip_invalid,
                rejects,
                progress=progress,
            )
        render.import_report(err, report)

    run(body)


@app.command()
def assign(
    ctx: typer.Context,
    plan: Annotated[Path | None, typer.Argument(help="Plan YAML file (with --accounts).")] = None,
    accounts: Annotated[Path | None, typer.Option("--accounts", help="Accounts CSV or Parquet.")] = None,
    plan_id: Annotated[
        int | None, typer.Option("--plan", help="A stored plan's id: assign the workspace's accounts.")
    ] = None,
    reps: Annotated[
        Path | None, typer.Option("--reps", help="Reps CSV: rep_id, name, email, active.")
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Result file (.csv or .parquet); stdout if left out.")
    ] = None,
    summary: Annotated[
        Path | None, typer.Option("--summary", help="Write the per-territory summary here.")
    ] = None,
) -> None:
    """Assign every account to its territory and rep, with overlaps, ties and reasons.

    Either PLAN --accounts FILE (files), or --plan ID (the workspace's accounts; the run is stored)."""

    def body() -> None:
        if plan_id is not None:
            if plan is not None or accounts is not None or reps is not None:
                raise BadInput.at("give either PLAN --accounts FILE or --plan ID, not both", "--plan")
            assign_stored(plan_id)
            return
        if plan is None or accounts is None:
            raise BadInput.at("give PLAN --accounts FILE, or --plan ID for a stored plan", "assign")
        with stage_bar(err) as progress:
            result = assign_service.assign_files(plan, accounts, reps, progress=progress)
            progress(f"Writing {result.assignment.rows.height:,} rows", None)
            write_table(result.assignment.rows, out)
            if summary is not None:
                write_table(result.assignment.territories, summary)
        render.warnings(err, result.warnings)
        render.assignment_summary(err, result.assignment)
        if out is not None:
            err.print(f"wrote {result.assignment.rows.height:,} rows to {out}")

    def assign_stored(stored_plan: int) -> None:
        check_writable(out, summary)  # before the run is stored
        workspace = workspace_of(ctx)
        with stage_bar(err) as progress:
            stored = workspace_service.assign_stored(workspace, stored_plan, progress=progress)
            if out is not None:
                write_table(stored.assignment.rows, out)
            if summary is not None:
                write_table(stored.assignment.territories, summary)
        render.warnings(err, stored.warnings)
        render.assignment_summary(err, stored.assignment)
        print(stored.run_id)
        err.print(
            f"stored as run {stored.run_id}; "
            f"`territorial export assignments --run {stored.run_id}` writes it out"
        )

    run(body)


@app.command()
def explain(
    plan: PlanArg,
    accounts: AccountsOpt,
    account: Annotated[str, typer.Option("--account", help="The account_id to explain.")],
) -> None:
    """Walk the plan for one account: each rule's result, why, and how the winner was chosen."""

    def body() -> None:
        with stage_bar(err) as progress:
            result = assign_service.explain_account(plan, accounts, account, progress=progress)
        render.explanation(Console(), result)

    run(body)


@app.command()
def validate(
    plan: PlanArg,
    accounts: Annotated[Path | None, typer.Option("--accounts", help="Check against this file too.")] = None,
) -> None:
    """Check a plan (and its fields against an accounts file); list overlaps and warnings."""

    def body() -> None:
        with stage_bar(err) as progress:
            result = assign_service.validate_files(plan, accounts, progress=progress)
        console = Console()
        render.warnings(console, result.warnings)
        console.print(
            f"[green]ok[/green]: {render.counted(len(result.plan.territories), 'territory')} in "
            f"{render.counted(len(result.plan.layers), 'layer')} ({', '.join(result.plan.layers)})"
        )
        if result.overlaps is not None:
            if result.overlaps.height:
                console.print(f"{result.overlaps.height} pairs of territories match the same accounts:")
                for row in result.overlaps.head(50).iter_rows(named=True):
                    console.print(
                        f"  {row['layer']}: {row['territory_a']} & {row['territory_b']}: "
                        f"{render.counted(row['accounts'], 'account')}",
                        highlight=False,
                    )
            else:
                console.print("no overlapping territories")
        if result.skipped_on_null:
            console.print(
                f"[yellow]{render.counted(result.skipped_on_null, 'account')} missed at least one territory "
                "only because a field was empty (the rule was UNKNOWN)[/yellow]"
            )

    run(body)


PlanRefOpt = Annotated[
    str | None,
    typer.Option("--plan", help="A stored plan's id, or a plan file: its workload (and potential) apply."),
]
WorkIndexOpt = Annotated[
    Path | None,
    typer.Option("--work-index", help="YAML overriding the work-index table (with --workload work-index)."),
]


@app.command()
def balance(
    ctx: typer.Context,
    accounts: Annotated[
        Path | None, typer.Option("--accounts", help="Accounts CSV or Parquet (lat,lon or a ZIP column).")
    ] = None,
    units: Annotated[
        Path | None, typer.Option("--units", help="Units CSV: id, x,y or lat,lon, activity columns.")
    ] = None,
    from_workspace: Annotated[
        bool,
        typer.Option("--workspace", help="The workspace's accounts, reps and current owners."),
    ] = False,
    plan: PlanRefOpt = None,
    edges: Annotated[Path | None, typer.Option("--edges", help="Unit adjacency CSV: a,b.")] = None,
    adjacency: Annotated[
        str | None,
        typer.Option(
            "--adjacency",
            help="county (bundled Census county borders), delaunay (the default), knn, or an a,b edges CSV.",
        ),
    ] = None,
    workload: Annotated[
        str | None,
        typer.Option(
            "--workload",
            help="Numeric expression over fields, e.g. employees * 2, or work-index; default: the plan's.",
        ),
    ] = None,
    work_index: WorkIndexOpt = None,
    reps: Annotated[
        Path | None, typer.Option("--reps", help="Reps CSV: rep_id, lat,lon home, capacity, skills.")
    ] = None,
    k: Annotated[int | None, typer.Option("--k", help="Number of territories, without reps.")] = None,
    metric: Annotated[
        list[str] | None,
        typer.Option("--metric", help="NAME=TOLERANCE to balance, repeatable (default workload=0.05)."),
    ] = None,
    contiguous: Annotated[bool, typer.Option("--contiguous", help="Keep every territory connected.")] = False,
    max_moves: Annotated[
        float | None, typer.Option("--max-moves", help="Share of accounts that may change rep, e.g. 0.02.")
    ] = None,
    move_penalty: Annotated[
        float | None, typer.Option("--move-penalty", help="Cost of one move, in workload × distance.")
    ] = None,
    lock: Annotated[
        str | None, typer.Option("--lock", help="Rule: matching accounts stay with their rep.")
    ] = None,
    time_limit: Annotated[float, typer.Option("--time-limit", help="Seconds.")] = 60.0,
    best_effort: Annotated[
        bool,
        typer.Option(
            "--best-effort",
            help="When the tolerances cannot all be met, write the closest alignment (exit 0, with a "
            "warning) instead of refusing (exit 2).",
        ),
    ] = False,
    aim: Annotated[
        float,
        typer.Option(
            "--aim",
            help="Share of each tolerance to aim inside (0.4: ±5% asked gives about ±2%). Higher gives "
            "more compact territories, lower more even ones; 1 uses the whole band.",
        ),
    ] = DEFAULT_AIM,
    seed: Annotated[
        int,
        typer.Option("--seed", help="Draws the extra location starts: the same seed, the same alignment."),
    ] = 0,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="alignment.csv (id, territory_id, rep_id, moved); stdout if left out."),
    ] = None,
    report: Annotated[
        Path | None, typer.Option("--report", help="report.json with per-territory figures.")
    ] = None,
    plan_out: Annotated[
        Path | None,
        typer.Option("--plan-out", help="plan.yaml: a draft plan whose rules give the alignment."),
    ] = None,
) -> None:
    """Balance accounts or units among reps: equal workload (and other metrics) within tolerance,
    compact, optionally contiguous, with a lower bound that shows how close to the best it is."""

    def body() -> None:
        from territorial.cli.balance import run_balance
        from territorial.services.balance import BalanceRequest, parse_metric

        request = BalanceRequest(
            accounts=accounts,
            units=units,
            edges=edges,
            workload=workload,
            reps=reps,
            k=k,
            metrics=dict(parse_metric(m) for m in metric or []),
            contiguous=contiguous,
            max_moves=max_moves,
            move_penalty=move_penalty,
            lock=lock,
            time_limit=time_limit,
            best_effort=best_effort,
            aim=aim,
            seed=seed,
            from_workspace=from_workspace,
            workspace=workspace_of(ctx) if from_workspace or _stored(plan) else None,
            plan=plan,
            adjacency=adjacency,
            work_index=work_index,
        )
        run_balance(request, out, report, err, plan_out)

    run(body)


def _stored(plan: str | None) -> bool:
    return plan is not None and isinstance(workspace_service.plan_reference(plan), int)


@app.command()
def capacity(
    ctx: typer.Context,
    accounts: Annotated[Path | None, typer.Option("--accounts", help="Accounts CSV or Parquet.")] = None,
    from_workspace: Annotated[
        bool, typer.Option("--workspace", help="The workspace's accounts, reps and current owners.")
    ] = False,
    plan: PlanRefOpt = None,
    workload: Annotated[
        str | None,
        typer.Option(
            "--workload",
            help="Hours a year per account: an expression over fields, or work-index (the default).",
        ),
    ] = None,
    work_index: WorkIndexOpt = None,
    reps: Annotated[
        Path | None, typer.Option("--reps", help="Reps CSV: rep_id, home, active (current reps, travel).")
    ] = None,
    hours_per_rep: Annotated[
        float, typer.Option("--hours-per-rep", help="A rep's selling hours a year.")
    ] = 1600.0,
    utilisation: Annotated[
        float, typer.Option("--utilisation", help="Target share of those hours filled with workload.")
    ] = 0.8,
    by: Annotated[
        str | None, typer.Option("--by", help="Columns to group by, comma-separated, e.g. segment,region.")
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the headcount table (CSV or Parquet).")
    ] = None,
    what_if_reps: Annotated[
        str | None,
        typer.Option("--what-if-reps", help="Balance with N reps, or +N/-N from today's, and compare."),
    ] = None,
    tolerance: Annotated[
        float, typer.Option("--tolerance", help="Workload tolerance of the what-if balance.")
    ] = 0.05,
    time_limit: Annotated[float, typer.Option("--time-limit", help="Seconds per what-if balance.")] = 60.0,
    seed: Annotated[int, typer.Option("--seed")] = 0,
) -> None:
    """Recommend headcount: reps needed per group for the workload at a target utilisation."""

    def body() -> None:
        from territorial.cli.capacity import run_capacity
        from territorial.services.capacity import CapacityRequest

        request = CapacityRequest(
            accounts=accounts,
            from_workspace=from_workspace,
            workspace=workspace_of(ctx) if from_workspace or _stored(plan) else None,
            plan=plan,
            workload=workload,
            work_index=work_index,
            reps=reps,
            hours_per_rep=hours_per_rep,
            utilisation=utilisation,
            by=[c.strip() for c in by.split(",") if c.strip()] if by else [],
            what_if_reps=what_if_reps,
            tolerance=tolerance,
            time_limit=time_limit,
            seed=seed,
        )
        run_capacity(request, out, Console(), err)

    run(body)


@generate_app.command("accounts")
def generate_accounts(
    n: Annotated[int, typer.Option("--n", min=1, help="Number of accounts.")],
    out: Annotated[Path, typer.Option("--out", help="CSV or Parquet file to write.")],
    seed: Annotated[int, typer.Option("--seed")] = 0,
) -> None:
    """A realistic account book on real US ZIP codes."""

    def body() -> None:
        from territorial.generate.accounts import generate_accounts as make

        with err.status(f"Generating {n:,} accounts…"):
            write_table(make(n, seed), out)
        err.print(f"wrote {n:,} accounts to {out}")

    run(body)


@generate_app.command("plan")
def generate_plan(
    territories: Annotated[
        int,
        typer.Option("--territories", min=10, max=50_000, help="About how many territories (10 to 50,000)."),
    ],
    out: Annotated[Path, typer.Option("--out", help="YAML file to write.")],
    seed: Annotated[int, typer.Option("--seed")] = 0,
) -> None:
    """A realistic three-level plan with named accounts and two overlay layers."""

    def body() -> None:
        from territorial.generate.plan import generate_plan as make

        write_text(make(territories, seed), out)
        err.print(f"wrote a plan to {out}")

    run(body)


@app.command()
def demo(
    out: Annotated[Path, typer.Option("--out", help="Folder for the demo's files.")] = Path("demo-output"),
) -> None:
    """Generate a plan and an account book around real companies, assign, and explain one account."""

    def body() -> None:
        from territorial.cli.demo import run_demo

        run_demo(out, Console(), err)

    run(body)


def main() -> None:
    try:
        app(prog_name="territorial")
    except BrokenPipeError:
        # The reader (e.g. `| head`) went away: that is not an error of ours.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(0)


if __name__ == "__main__":
    main()
