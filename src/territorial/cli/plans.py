"""Plans stored in the workspace: `plan add`, `list`, `show`, `clone`, `update`, `delete`, `activate`,
`unschedule`, and `tick`, which applies the activations whose day has come."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from territorial.cli import render
from territorial.cli.app import (
    CHECK_FAILED,
    app,
    console,
    context_of,
    day_of,
    err,
    group,
    handled,
    workspace_of,
)
from territorial.cli.check_render import failures
from territorial.cli.roster import applied_lines
from territorial.errors import Problem
from territorial.io.output import write_table
from territorial.services.activation import Activated, ChecksFailed, activate_plan, tick, unschedule_plan
from territorial.services.compare import compare_plans
from territorial.services.plan_states import clone_plan, delete_plan, update_plan
from territorial.services.plans import add_plan, list_plans, show_plan, stored_plan_id

plan_app = group("plan", "Plans stored in the workspace.")
PlanId = Annotated[str, typer.Argument(help="A stored plan's id, or `active`.")]


@plan_app.command("add")
@handled
def plan_add(ctx: typer.Context, plan: Annotated[Path, typer.Argument(help="Plan YAML file.")]) -> None:
    """Store a plan in the workspace; prints its id. Once the workspace has accounts, the plan must
    fit their fields, as `assign --plan` will need."""
    found: list[Problem] = []
    plan_id = add_plan(workspace_of(ctx), context_of(ctx), plan, found)
    render.warnings(err, found)
    print(plan_id)
    err.print(f"stored plan {plan} as plan {plan_id}")


@plan_app.command("list")
@handled
def plan_list(ctx: typer.Context) -> None:
    """The workspace's plans, with their state (draft, scheduled, active, archived) and effective day."""
    render.plans(console(), list_plans(workspace_of(ctx)))


@plan_app.command("show")
@handled
def plan_show(ctx: typer.Context, plan_id: PlanId) -> None:
    """A stored plan's YAML, as it was stored (stdout), and where it came from and its state (stderr)."""
    workspace = workspace_of(ctx)
    stored = show_plan(workspace, stored_plan_id(workspace, plan_id))
    effective = f" from {stored.effective}" if stored.effective else ""
    err.print(
        f"plan {stored.plan_id}: {stored.name}, from {stored.file_name}, "
        f"stored {stored.created_at:%Y-%m-%d %H:%M}"
        + (f" by {stored.actor}" if stored.actor else "")
        + f"; {stored.state.value}{effective}",
        highlight=False,
        markup=False,
    )
    sys.stdout.write(stored.source)


@plan_app.command("clone")
@handled
def plan_clone(ctx: typer.Context, plan_id: PlanId) -> None:
    """Copy a stored plan (any state; `active` for the active one) into a new draft; prints its id."""
    workspace = workspace_of(ctx)
    source = stored_plan_id(workspace, plan_id)
    cloned = clone_plan(workspace, context_of(ctx), source)
    print(cloned)
    err.print(f"cloned plan {source} as draft plan {cloned}")


@plan_app.command("update")
@handled
def plan_update(
    ctx: typer.Context,
    plan_id: Annotated[int, typer.Argument(help="A draft's id.")],
    plan: Annotated[Path, typer.Argument(help="Plan YAML file.")],
) -> None:
    """Replace a draft's YAML with a plan file's, checked as `plan add` checks it."""
    found: list[Problem] = []
    update_plan(workspace_of(ctx), context_of(ctx), plan_id, plan, found)
    render.warnings(err, found)
    err.print(f"updated draft plan {plan_id} from {plan}")


@plan_app.command("delete")
@handled
def plan_delete(
    ctx: typer.Context,
    plan_id: Annotated[int, typer.Argument(help="A draft's id.")],
    with_runs: Annotated[
        bool, typer.Option("--with-runs", help="Delete its assignment runs too (routing decisions stay).")
    ] = False,
) -> None:
    """Delete a draft. A plan that has been scheduled or active is kept for ever."""
    runs = delete_plan(workspace_of(ctx), context_of(ctx), plan_id, with_runs)
    err.print(f"deleted draft plan {plan_id}" + (f" and its {runs} runs" if runs else ""))


@plan_app.command("activate")
@handled
def plan_activate(
    ctx: typer.Context,
    plan_id: Annotated[int, typer.Argument(help="A draft's or an archived plan's id.")],
    effective: Annotated[
        str | None,
        typer.Option(
            "--effective",
            help="YYYY-MM-DD in the workspace's time zone, from 00:00 (default today); a later day "
            "schedules the activation for `territorial tick`.",
        ),
    ] = None,
    skip_checks: Annotated[
        bool, typer.Option("--skip-checks", help="Activate even when the plan's checks fail (recorded).")
    ] = False,
    end_stale_overrides: Annotated[
        bool,
        typer.Option(
            "--end-stale-overrides",
            help="End the overrides that name a territory or rep the plan lacks (else refused).",
        ),
    ] = False,
) -> None:
    """Make a plan the live one: all or nothing, in one transaction. The live assignment is
    rewritten (owners in their territory's pool keep their accounts), the roster seeded from the
    plan's reps, and the active plan archived. Re-activating an archived plan re-runs it on today's data."""
    day = day_of(effective, "--effective")
    with _refused_by_checks():
        done = activate_plan(
            workspace_of(ctx),
            context_of(ctx),
            plan_id,
            day,
            skip_checks,
            end_stale_overrides=end_stale_overrides,
        )
    _activated(done)


@contextmanager
def _refused_by_checks() -> Iterator[None]:
    """An activation (now, or a scheduled one at `tick`) its plan's checks refused: each failed row,
    and exit 3."""
    try:
        yield
    except ChecksFailed as failed:
        err.print(f"[red]{failed}[/red]", highlight=False)
        for outcome in failed.failures:
            failures(err, outcome)
        raise typer.Exit(CHECK_FAILED) from None


def _activated(done: Activated) -> None:
    render.warnings(err, list(done.warnings))
    if done.scheduled:
        err.print(
            f"plan {done.plan_id} is scheduled for {done.effective}; `territorial tick` activates it then"
        )
        return
    archived = f"; plan {done.archived} archived" if done.archived is not None else ""
    err.print(
        f"plan {done.plan_id} active from {done.effective}: {done.accounts:,} accounts, "
        f"{done.changed:,} live rows changed{archived}",
        highlight=False,
    )


@plan_app.command("unschedule")
@handled
def plan_unschedule(
    ctx: typer.Context, plan_id: Annotated[int, typer.Argument(help="A scheduled plan's id.")]
) -> None:
    """Cancel a plan's scheduled activation; the plan is again what it was (a draft, or archived)."""
    day = unschedule_plan(workspace_of(ctx), context_of(ctx), plan_id)
    err.print(f"plan {plan_id} is no longer scheduled for {day}")


@plan_app.command("compare")
@handled
def plan_compare(
    ctx: typer.Context,
    plan_a: Annotated[str, typer.Argument(help="A stored plan's id, or `active`.")],
    plan_b: Annotated[str, typer.Argument(help="The plan to compare it with: an id, or `active`.")],
    out: Annotated[
        Path | None, typer.Option("--out", help="Write every moving account here (.csv or .parquet).")
    ] = None,
) -> None:
    """What would change from plan A to plan B, B evaluated exactly as activating it now would be
    (the same owners and roster): the accounts that move, each rep's gains and losses in accounts,
    workload, potential and open pipeline, continuity, and balance (B's workload on both sides)."""
    workspace = workspace_of(ctx)
    a, b = stored_plan_id(workspace, plan_a, "PLAN_A"), stored_plan_id(workspace, plan_b, "PLAN_B")
    result = compare_plans(workspace, context_of(ctx), a, b)
    if out is not None:
        write_table(result.movers, out)
    render.warnings(err, result.warnings)
    render.comparison(console(), result)
    if out is not None:
        err.print(f"wrote {result.movers.height:,} moving rows to {out}")


@app.command("tick")
@handled
def tick_command(
    ctx: typer.Context,
    today: Annotated[
        str | None,
        typer.Option("--today", help="YYYY-MM-DD: the day to act as of (for tests; default today)."),
    ] = None,
) -> None:
    """Apply what is due, in date order: the overrides and holds whose day has come end, the
    scheduled activations and roster changes whose day has come take effect."""
    with _refused_by_checks():
        done = tick(workspace_of(ctx), context_of(ctx), day_of(today, "--today"))
    if not done.activations and not done.ended and not done.roster:
        err.print("nothing due")
    for ended in done.ended:
        err.print(f"{ended.kind} of {ended.account_id} ({ended.layer}) ended: {ended.cause}", highlight=False)
    for activation in done.activations:
        _activated(activation)
    for applied in done.roster:
        applied_lines(applied)
