"""Lead routing: `route LEADS --plan PLAN`, `route explain LEAD_ID` and `route fairness`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from territorial.cli import routing_render
from territorial.cli.app import (
    MappingOption,
    console,
    context_of,
    day_of,
    err,
    group,
    handled,
    workspace_of,
)
from territorial.cli.progress import stage_bar
from territorial.cli.render import warnings
from territorial.errors import BadInput
from territorial.io.output import write_table
from territorial.services.lead_audit import explain_lead, fairness_report
from territorial.services.plans import add_plan, plan_reference
from territorial.services.routing import RouteMode, open_router, route_leads, route_workspace_leads
from territorial.services.routing_undo import undo_routing_run

route_app = group(
    "route",
    "Lead routing: `territorial route LEADS --plan PLAN` routes a file; "
    "`route explain` and `route fairness` read the audit.",
    default_command=True,
)


@route_app.command("batch")
@handled
def route_batch(
    ctx: typer.Context,
    leads: Annotated[
        Path | None, typer.Argument(help="Leads CSV, Excel or Parquet with a lead_id column.")
    ] = None,
    plan: Annotated[
        str | None, typer.Option("--plan", help="A plan YAML file, or a stored plan's id.")
    ] = None,
    from_workspace: Annotated[
        bool,
        typer.Option(
            "--workspace", help="Route the leads imported into the workspace that were never routed."
        ),
    ] = False,
    since: Annotated[
        str | None,
        typer.Option(
            "--since", help="With --workspace: only leads created on or after this day (YYYY-MM-DD)."
        ),
    ] = None,
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
    mapping: MappingOption = None,
    reroute: Annotated[
        bool,
        typer.Option(
            "--reroute",
            help="Route leads already routed again, on purpose; each new decision says what it replaces.",
        ),
    ] = False,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Show the decisions; store nothing and move no pool pointer."),
    ] = False,
    reassign_owned: Annotated[
        bool,
        typer.Option(
            "--reassign-owned",
            help="Route leads the CRM already gives to a rep too (as the plan's crm_owner: reassign); "
            "by default they stay with that rep.",
        ),
    ] = False,
) -> None:
    """Route a batch of leads: duplicate check, qualification, account match, territory, round robin.
    The leads come from a file, or with --workspace are the imported leads never routed yet.

    Writes lead_id, decision, rep_id, territory_id, matched_account_id, score, reason (then relevance,
    product and queue); every decision is stored with its path for `territorial route explain`."""
    day, first = day_of(on, "--date"), day_of(since, "--since")
    if plan is None:
        raise BadInput.at("give the plan to route by with --plan FILE or --plan ID", "--plan")
    if (leads is None) == (not from_workspace):
        raise BadInput.at("give either a LEADS file or --workspace for the imported leads", "--workspace")
    if first is not None and not from_workspace:
        raise BadInput.at("--since picks among the workspace's leads: give --workspace too", "--since")
    if reroute and from_workspace:
        raise BadInput.at(
            "--workspace routes only leads never routed; to route some again give their file with --reroute",
            "--reroute",
        )
    workspace = workspace_of(ctx)
    target = plan_reference(plan, workspace)
    with stage_bar(err) as progress:
        if leads is not None:
            how = RouteMode(reroute=reroute, dry_run=dry_run, reassign_owned=reassign_owned)
            batch = route_leads(
                workspace, context_of(ctx), leads, target, reps, availability, day, progress, mapping, how
            )
        else:
            if mapping is not None:
                raise BadInput.at(
                    "--mapping reads files; the workspace's leads were mapped on import", "--mapping"
                )
            if isinstance(target, Path) and not dry_run:  # stored first, so the run can name it
                target = add_plan(workspace, context_of(ctx), target)
                err.print(f"stored the plan as plan {target}")
            router = open_router(workspace, target, reps, availability, progress, mapping, reassign_owned)
            waiting = route_workspace_leads(workspace, context_of(ctx), router, first, day, progress, dry_run)
            if waiting is None:
                err.print("no imported leads are waiting to be routed" + (f" since {since}" if since else ""))
                return
            batch = waiting
        write_table(batch.rows, out)
    warnings(err, batch.warnings)
    routing_render.batch_summary(err, batch.decisions)
    routing_render.unused_columns(err, batch.unused_columns, batch.read_columns, mapping is not None)
    if batch.route_run_id is not None and any(d.in_pool for d in batch.decisions):
        routing_render.fairness(
            err, fairness_report(workspace, route_run_id=batch.route_run_id), "this batch"
        )
    if out is not None:
        err.print(f"wrote {len(batch.decisions):,} decisions to {out}")
    if dry_run:
        err.print("dry run: nothing was stored and no pool pointer moved")
    elif batch.route_run_id is None:
        err.print("every lead was already routed: nothing was stored (--reroute routes them again)")
    else:
        err.print(
            f"stored as routing run {batch.route_run_id}; `territorial route explain LEAD_ID` shows a "
            f"lead's path; `territorial route undo {batch.route_run_id}` takes the run back"
        )


@route_app.command("undo")
@handled
def route_undo(
    ctx: typer.Context,
    run_id: Annotated[int, typer.Argument(help="The routing run to take back.", metavar="RUN_ID")],
) -> None:
    """Take back a routing run: its decisions and queue entries go and its pools' pointers return to
    where they stood before. Refused while a later run that moved the same pools is not undone."""
    run = undo_routing_run(workspace_of(ctx), context_of(ctx), run_id)
    pools = f"; pools put back: {', '.join(run.pools)}" if run.pools else ""
    console().print(
        f"undid routing run {run.route_run_id} ({run.leads:,} decision{'' if run.leads == 1 else 's'} "
        f"from {run.source}){pools}",
        highlight=False,
    )


@route_app.command("explain")
@handled
def route_explain(
    ctx: typer.Context,
    lead_id: Annotated[str, typer.Argument(help="The lead's id.")],
    every: Annotated[bool, typer.Option("--all", help="Show every time the lead was routed.")] = False,
) -> None:
    """Show how a lead was routed: each step, its inputs and its outcome."""
    decisions = explain_lead(workspace_of(ctx), lead_id)
    shown = decisions if every else decisions[-1:]
    out = console()
    for decision in shown:
        routing_render.decision_path(out, decision)
    if len(decisions) > 1 and not every:
        err.print(f"lead {lead_id} was routed {len(decisions)} times; this is the latest (--all shows all)")


@route_app.command("fairness")
@handled
def route_fairness(
    ctx: typer.Context,
    start: Annotated[str | None, typer.Option("--from", help="First lead day (YYYY-MM-DD).")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Last lead day (YYYY-MM-DD).")] = None,
    reps: Annotated[
        Path | None,
        typer.Option(
            "--reps",
            help="Reps file weighing leads routed before runs stored their weights "
            "(default: the workspace's reps).",
        ),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the report here (.csv or .parquet).")
    ] = None,
) -> None:
    """Leads and expected value per rep against their weight share of the pool, for a period."""
    first, last = day_of(start, "--from"), day_of(end, "--to")
    if first is not None and last is not None and first > last:
        # The period would be empty, and an empty table reads as "no leads were routed".
        raise BadInput.at(f"--from {first} is later than --to {last}; no day lies between them", "--from")
    report = fairness_report(workspace_of(ctx), first, last, reps)
    if out is not None:
        write_table(report, out)
    period = f"{start or 'the first lead'} to {end or 'the last lead'}"
    routing_render.fairness(console(), report, period)
