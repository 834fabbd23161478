"""Stored assignment runs: `run list` and `run show`."""

from __future__ import annotations

from typing import Annotated

import typer

from territorial.cli import render
from territorial.cli.app import console, group, handled, workspace_of
from territorial.services.runs import list_runs, show_run

run_app = group("run", "Assignment runs stored in the workspace.")


@run_app.command("list")
@handled
def run_list(ctx: typer.Context) -> None:
    """The workspace's assignment runs, oldest first: plan, when, who, accounts, unassigned, ties."""
    render.runs(console(), list_runs(workspace_of(ctx)))


@run_app.command("show")
@handled
def run_show(ctx: typer.Context, run_id: Annotated[int, typer.Argument(help="The run's id.")]) -> None:
    """One run: its plan and counts, then accounts and workload per territory and rep."""
    render.run_shown(console(), show_run(workspace_of(ctx), run_id))
