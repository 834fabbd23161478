"""`explain --account` on the workspace: the active plan walked for one account, then the steps that
made its live rows (rules, hold, override, pool) and the cause of each row."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import polars as pl

from territorial.domain.lifecycle import StoredHold, StoredOverride
from territorial.domain.plan import PRIMARY, Plan
from territorial.engine.compiled import CompiledPlan
from territorial.engine.explain import explain
from territorial.progress import Progress, silent
from territorial.services.assign import AccountExplained, AccountRef, stored_in
from territorial.services.context import Context
from territorial.services.pins import EXPIRED
from territorial.services.plans import active_plan_id
from territorial.services.settings import load_settings, today
from territorial.services.unit_of_work import WorkspaceStore


def explain_live(
    workspace: WorkspaceStore, ctx: Context, account: AccountRef, progress: Progress = silent
) -> AccountExplained:
    """One account through the active plan, with its pools as the roster has them, and its live rows."""
    plan_id = active_plan_id(workspace)
    with workspace.unit_of_work() as uow:
        plan, book, warnings = stored_in(uow, plan_id, progress)
        roster = uow.roster.current()
        record = account.record_in(book)
        rows = uow.live.of_account(str(record["account_id"]))
        active = uow.plans.get(plan_id)
        holds = {(h.account_id, h.layer): h for h in uow.holds.in_force()}
        overrides = {(o.account_id, o.layer): o for o in uow.overrides.in_force()}
    on = today(ctx, load_settings())
    explanation = explain(CompiledPlan(_with_roster(plan, roster)), record)
    since = f", active since {active.effective}" if active is not None and active.effective else ""
    pins = {key: _held(h, on) for key, h in holds.items()}
    pinned = {key: _overridden(o, on) for key, o in overrides.items()}
    for key in set(pins) & set(pinned):
        pins[key] += " (the override beats it)"
    rules = {layer: answer.territory_id for layer, answer in explanation.answers.items()}
    explanation.live = [f"plan {plan_id}{since}", *_steps(rows, rules, pins, pinned)]
    return AccountExplained(explanation, warnings)


def _with_roster(plan: Plan, roster: pl.DataFrame) -> Plan:
    pools: dict[str, list[str]] = {}
    for territory_id, rep_id, _position in roster.iter_rows():
        pools.setdefault(territory_id, []).append(rep_id)
    return replace(
        plan, territories=tuple(replace(t, reps=tuple(pools.get(t.id, ()))) for t in plan.territories)
    )


def _held(hold: StoredHold, on: date) -> str:
    return (
        f"{hold.territory_id or 'no territory'}, rep {hold.rep_id}, by {hold.actor or 'unknown'} "
        f"until {hold.until}{_expired(hold.until, on)}"
    )


def _overridden(override: StoredOverride, on: date) -> str:
    named = [f"territory {override.territory_id}"] if override.territory_id else ["the rules' territory"]
    named += [f"rep {override.rep_id}"] if override.rep_id else ["the pool picks the rep"]
    until = f" until {override.until}{_expired(override.until, on)}" if override.until else ""
    return f"{', '.join(named)} ({override.reason}), by {override.actor or 'unknown'}{until}"


def _expired(until: date | None, on: date) -> str:
    return f"; {EXPIRED}" if until is not None and until <= on else ""


def _steps(
    rows: pl.DataFrame,
    rules: dict[str, str | None],
    holds: dict[tuple[str, str], str],
    overrides: dict[tuple[str, str], str],
) -> list[str]:
    if rows.is_empty():
        return ["no live row yet: the account was imported after the activation"]
    lines = []
    ordered = rows.sort([pl.col("layer") != PRIMARY, "layer"])
    for row in ordered.iter_rows(named=True):
        territory, rep = row["territory_id"] or "none", row["rep_id"] or "none"
        key = (row["account_id"], row["layer"])
        lines += [
            f"{row['layer']}:",
            f"  1. rules: {rules.get(row['layer']) or 'none'}",
            f"  2. hold: {holds.get(key, 'none')}",
            f"  3. override: {overrides.get(key, 'none')}",
            f"  4. pool: {rep}. {row['reason']}",
            f"  now {territory}, rep {rep}, since {row['since']}: {row['cause']}",
        ]
    return lines
