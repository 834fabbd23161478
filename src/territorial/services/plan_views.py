"""Reading stored plans, a plan's territories and the assignment runs, as far as the principal may
see them: plan files and run totals cover every account, so they are for admins and planners."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from territorial.errors import NotAllowed, NotFound
from territorial.rules.text import to_text
from territorial.services.context import Context
from territorial.services.pages import Page, numbered, page_of_rows
from territorial.services.permissions import may_write
from territorial.services.plans import stored_plan
from territorial.services.unit_of_work import WorkspaceStore
from territorial.services.visibility import Visible, may_read, visible_to

PLAN_SHOWN = ("plan_id", "name", "file_name", "state", "effective", "created_at", "actor")


def _plan_row(stored: Any, with_source: bool) -> dict[str, Any]:
    row = {name: getattr(stored, name) for name in PLAN_SHOWN}
    return {**row, "state": stored.state.value, "source": stored.source if with_source else None}


def list_plans_for(
    workspace: WorkspaceStore, ctx: Context, cursor: str | None = None, limit: int = 100
) -> Page:
    """Every stored plan, by id: its name, state and dates (its YAML only for admins and planners)."""
    may_read(ctx.principal)
    with workspace.unit_of_work() as uow:
        plans = uow.plans.list()
    rows = [_plan_row(p, with_source=False) for p in plans]
    return page_of_rows(rows, lambda row: numbered(row["plan_id"]), cursor, limit)


def get_plan_for(workspace: WorkspaceStore, ctx: Context, plan_id: int) -> dict[str, Any]:
    with workspace.unit_of_work() as uow:
        visible = visible_to(uow, ctx)
        found = uow.plans.get(plan_id)
    if found is None:
        raise NotFound.at(f"no plan with id {plan_id}", "plan_id")
    return _plan_row(found, with_source=visible.everything)


def plan_territories_for(
    workspace: WorkspaceStore, ctx: Context, plan_id: int, cursor: str | None = None, limit: int = 100
) -> Page:
    """A plan's territories in plan order; a manager or a rep sees those their reps hold (and the
    territories above them), with only their reps named."""
    with workspace.unit_of_work() as uow:
        visible = visible_to(uow, ctx)
        if uow.plans.get(plan_id) is None:
            raise NotFound.at(f"no plan with id {plan_id}", "plan_id")
        plan = stored_plan(uow, plan_id, "plan_id")
    rows = [territory_row(t, visible) for t in plan.territories if visible.territory(t.id) is not None]
    return page_of_rows(rows, lambda row: numbered(row["order"]), cursor, limit)


def territory_row(territory: Any, visible: Visible) -> dict[str, Any]:
    return {
        "territory_id": territory.id,
        "name": territory.name,
        "parent_id": visible.territory(territory.parent),
        "layer": territory.layer,
        "depth": territory.depth,
        "order": territory.order,
        "priority": territory.priority,
        "rule": visible.text(to_text(territory.rule, max_items=None)) if territory.rule is not None else None,
        "reps": [rep for rep in territory.reps if visible.rep(rep)],
    }


def _planners_only(visible: Visible, what: str) -> None:
    if not visible.everything:
        raise NotAllowed.at(
            f"{what} total every account: only admins and planners read them", "Authorization", subject="runs"
        )


def list_runs_for(
    workspace: WorkspaceStore, ctx: Context, cursor: str | None = None, limit: int = 100
) -> Page:
    """Every assignment run, oldest first, with its plan and counts."""
    with workspace.unit_of_work() as uow:
        _planners_only(visible_to(uow, ctx), "runs")
        runs = uow.runs.list()
    return page_of_rows([asdict(run) for run in runs], lambda row: numbered(row["run_id"]), cursor, limit)


def get_run_for(workspace: WorkspaceStore, ctx: Context, run_id: int) -> dict[str, Any]:
    with workspace.unit_of_work() as uow:
        _planners_only(visible_to(uow, ctx), "runs")
        found = uow.runs.get(run_id)
    if found is None:
        raise NotFound.at(f"no run with id {run_id}", "run_id")
    return asdict(found)


def written_plan(workspace: WorkspaceStore, ctx: Context, plan_id: int) -> dict[str, Any]:
    """A plan as a write just left it, for the writer's answer: a token that may write plans but
    not read (narrowed to `write`) still learns what its write made, and nothing else."""
    may_write(ctx.principal, "change plans")
    with workspace.unit_of_work() as uow:
        found = uow.plans.get(plan_id)
    if found is None:
        raise NotFound.at(f"no plan with id {plan_id}", "plan_id")
    return _plan_row(found, with_source=True)


def written_run(workspace: WorkspaceStore, ctx: Context, run_id: int) -> dict[str, Any]:
    """A run as `assign` just kept it, for the writer's answer (as written_plan)."""
    may_write(ctx.principal, "assign plans")
    with workspace.unit_of_work() as uow:
        found = uow.runs.get(run_id)
    if found is None:
        raise NotFound.at(f"no run with id {run_id}", "run_id")
    return asdict(found)
