"""Plans stored in the workspace: `plan add` and `plan list`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from territorial.cli import render
from territorial.cli.app import context_of, err, group, handled, workspace_of
from territorial.services.plans import add_plan, list_plans

plan_app = group("plan", "Plans stored in the workspace.")


@plan_app.command("add")
@handled
def plan_add(ctx: typer.Context, plan: Annotated[Path, typer.Argument(help="Plan YAML file.")]) -> None:
    """Store a plan in the workspace; prints its id."""
    plan_id = add_plan(workspace_of(ctx), context_of(ctx), plan)
    print(plan_id)
    err.print(f"stored plan {plan} as plan {plan_id}")


@plan_app.command("list")
@handled
def plan_list(ctx: typer.Context) -> None:
    """The workspace's plans."""
    render.plans(Console(), list_plans(workspace_of(ctx)))
