"""Plans stored in the workspace: `plan add`, `plan list` and `plan show`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from territorial.cli import render
from territorial.cli.app import console, context_of, err, group, handled, workspace_of
from territorial.errors import Problem
from territorial.services.plans import add_plan, list_plans, show_plan

plan_app = group("plan", "Plans stored in the workspace.")


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
    """The workspace's plans."""
    render.plans(console(), list_plans(workspace_of(ctx)))


@plan_app.command("show")
@handled
def plan_show(ctx: typer.Context, plan_id: Annotated[int, typer.Argument(help="The plan's id.")]) -> None:
    """A stored plan's YAML, as it was stored (stdout), and where it came from (stderr)."""
    stored = show_plan(workspace_of(ctx), plan_id)
    err.print(
        f"plan {stored.plan_id}: {stored.name}, from {stored.file_name}, "
        f"stored {stored.created_at:%Y-%m-%d %H:%M}" + (f" by {stored.actor}" if stored.actor else ""),
        highlight=False,
        markup=False,
    )
    sys.stdout.write(stored.source)
