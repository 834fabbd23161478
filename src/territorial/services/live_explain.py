"""`explain --account` on the workspace: the active plan walked for one account, then the steps that
made its live rows (rules, hold, override, pool) and the cause of each row."""

from __future__ import annotations

from dataclasses import replace

import polars as pl

from territorial.domain.plan import PRIMARY, Plan
from territorial.engine.compiled import CompiledPlan
from territorial.engine.explain import explain
from territorial.progress import Progress, silent
from territorial.services.assign import AccountExplained, AccountRef, stored_in
from territorial.services.plans import active_plan_id
from territorial.services.unit_of_work import WorkspaceStore


def explain_live(
    workspace: WorkspaceStore, account: AccountRef, progress: Progress = silent
) -> AccountExplained:
    """One account through the active plan, with its pools as the roster has them, and its live rows."""
    plan_id = active_plan_id(workspace)
    with workspace.unit_of_work() as uow:
        plan, book, warnings = stored_in(uow, plan_id, progress)
        roster = uow.roster.current()
        record = account.record_in(book)
        rows = uow.live.of_account(str(record["account_id"]))
        active = uow.plans.get(plan_id)
    explanation = explain(CompiledPlan(_with_roster(plan, roster)), record)
    since = f", active since {active.effective}" if active is not None and active.effective else ""
    explanation.live = [f"plan {plan_id}{since}", *_steps(rows)]
    return AccountExplained(explanation, warnings)


def _with_roster(plan: Plan, roster: pl.DataFrame) -> Plan:
    pools: dict[str, list[str]] = {}
    for territory_id, rep_id, _position in roster.iter_rows():
        pools.setdefault(territory_id, []).append(rep_id)
    return replace(
        plan, territories=tuple(replace(t, reps=tuple(pools.get(t.id, ()))) for t in plan.territories)
    )


def _steps(rows: pl.DataFrame) -> list[str]:
    if rows.is_empty():
        return ["no live row yet: the account was imported after the activation"]
    lines = []
    ordered = rows.sort([pl.col("layer") != PRIMARY, "layer"])
    for row in ordered.iter_rows(named=True):
        territory, rep = row["territory_id"] or "none", row["rep_id"] or "none"
        lines += [
            f"{row['layer']}:",
            f"  1. rules: {territory}",
            "  2. hold: none",
            "  3. override: none",
            f"  4. pool: {rep}. {row['reason']}",
            f"  now {territory}, rep {rep}, since {row['since']}: {row['cause']}",
        ]
    return lines
