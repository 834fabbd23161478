"""Overrides and holds: pinning an account to a territory and/or a rep, or keeping it where it is until
a day. Each one put on or taken off changes the account's live rows at once, in the same transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from territorial.domain.lifecycle import ChangeKind, StoredHold, StoredOverride
from territorial.domain.plan import PRIMARY, Plan
from territorial.errors import BadInput
from territorial.services.activation import LOCK
from territorial.services.context import Context
from territorial.services.permissions import may_write
from territorial.services.pins import EXPIRED, relive
from territorial.services.plans import stored_plan
from territorial.services.settings import load_settings, today
from territorial.services.unit_of_work import UnitOfWork, WorkspaceStore


@dataclass(frozen=True)
class PinChange:
    """What adding or removing an override or a hold did to the live assignment."""

    account_id: str
    layer: str
    cause: str
    changed: int  # live rows whose territory or rep changed


def _active_plan(uow: UnitOfWork) -> tuple[int, Plan]:
    active = uow.plans.active()
    if active is None:
        raise BadInput.at(
            "no plan is active: overrides and holds change the live assignment "
            "(`territorial plan activate ID` makes one)",
            "ACCOUNT_ID",
        )
    return active.plan_id, stored_plan(uow, active.plan_id)


def _layer_of(plan: Plan, plan_id: int, layer: str) -> str:
    if layer not in plan.layers:
        raise BadInput.at(
            f"plan {plan_id} has no layer {layer!r}; its layers: {', '.join(plan.layers)}", "--layer"
        )
    return layer


def _live_row(uow: UnitOfWork, account_id: str, layer: str) -> dict[str, object] | None:
    rows = uow.live.of_account(account_id)
    if rows.is_empty():
        raise BadInput.at(
            f"account {account_id} has no live row: it is not an active account of the workspace, "
            "or was imported after the activation",
            "ACCOUNT_ID",
        )
    found = [r for r in rows.iter_rows(named=True) if r["layer"] == layer]
    return found[0] if found else None


def _until(ctx: Context, until: date | None) -> date | None:
    now = today(ctx, load_settings())
    if until is not None and until <= now:
        raise BadInput.at(f"{until} is not after today ({now}): it would end at once", "--until")
    return until


def add_override(
    workspace: WorkspaceStore,
    ctx: Context,
    account_id: str,
    territory_id: str | None,
    rep_id: str | None,
    reason: str,
    layer: str = PRIMARY,
    until: date | None = None,
) -> PinChange:
    """Pin an account (in a layer) to a territory, whose pool then picks the rep, and/or to a rep,
    who keeps the rules' territory unless a territory is named too. Both must be in the active plan."""
    may_write(ctx.principal, "override accounts")
    if territory_id is None and rep_id is None:
        raise BadInput.at("an override names a territory, a rep or both", "--territory")
    if not reason.strip():
        raise BadInput.at("say why the account is overridden (it is the live rows' cause)", "--reason")
    day = today(ctx, load_settings())
    until = _until(ctx, until)
    with workspace.unit_of_work(write=True, lock=LOCK) as uow:
        plan_id, plan = _active_plan(uow)
        _layer_of(plan, plan_id, layer)
        _live_row(uow, account_id, layer)
        if territory_id is not None and all(
            (t.id, t.layer) != (territory_id, layer) for t in plan.territories
        ):
            ids = [t.id for t in plan.territories if t.layer == layer]
            raise BadInput.at(
                f"the active plan {plan_id} has no {layer} territory {territory_id!r} "
                f"(it has {', '.join(ids[:10])}{', ...' if len(ids) > 10 else ''})",
                "--territory",
            )
        roster = set(uow.roster.current().get_column("rep_id").to_list())
        if rep_id is not None and rep_id not in roster:
            raise BadInput.at(f"rep {rep_id!r} is not in the active plan {plan_id}'s roster", "--rep")
        taken = [o for o in uow.overrides.in_force() if (o.account_id, o.layer) == (account_id, layer)]
        if taken:
            raise BadInput.at(
                f"account {account_id} is overridden in {layer} already (override {taken[0].override_id}); "
                "`territorial override remove` it first",
                "ACCOUNT_ID",
            )
        uow.overrides.add(
            account_id, layer, territory_id, rep_id, reason.strip(), ctx.actor, ctx.now(), until
        )
        cause = f"override by a planner: {reason.strip()}"
        summary = f"{ctx.actor} overrode account {account_id} in {layer}: {reason.strip()}"
        changed = relive(uow, ctx, ChangeKind.OVERRIDE, summary, {(account_id, layer): cause}, day)
        return PinChange(account_id, layer, cause, changed)


def remove_override(
    workspace: WorkspaceStore, ctx: Context, account_id: str, layer: str = PRIMARY
) -> PinChange:
    """End the account's override in a layer: the rules (and a hold, if any) place it again."""
    return _remove(workspace, ctx, account_id, layer, "override")


def add_hold(
    workspace: WorkspaceStore, ctx: Context, account_id: str, until: date | None, layer: str = PRIMARY
) -> PinChange:
    """Keep the account's live territory and rep (in a layer) until a day. Refused on an overridden
    account (the override beats a hold) and when its rep is not an active rep."""
    may_write(ctx.principal, "hold accounts")
    day = today(ctx, load_settings())
    end = _until(ctx, until)
    if end is None:
        raise BadInput.at("a hold needs the day it ends (YYYY-MM-DD)", "--until")
    with workspace.unit_of_work(write=True, lock=LOCK) as uow:
        plan_id, plan = _active_plan(uow)
        _layer_of(plan, plan_id, layer)
        row = _live_row(uow, account_id, layer)
        if any((o.account_id, o.layer) == (account_id, layer) for o in uow.overrides.in_force()):
            raise BadInput.at(
                f"account {account_id} is overridden in {layer}: an override beats a hold "
                "(`territorial override remove` it first)",
                "ACCOUNT_ID",
            )
        if any((h.account_id, h.layer) == (account_id, layer) for h in uow.holds.in_force()):
            raise BadInput.at(f"account {account_id} is held in {layer} already", "ACCOUNT_ID")
        rep = None if row is None else row["rep_id"]
        active_reps = {r.rep_id for r in uow.reps.list() if r.active}
        if not isinstance(rep, str) or rep not in active_reps:
            what = "no rep" if not isinstance(rep, str) else f"rep {rep}, who is not an active rep"
            raise BadInput.at(
                f"account {account_id} has {what} in {layer}: a hold keeps an active rep", "ACCOUNT_ID"
            )
        territory = row["territory_id"] if row is not None else None
        uow.holds.add(
            account_id,
            layer,
            territory if isinstance(territory, str) else None,
            rep,
            ctx.actor,
            ctx.now(),
            end,
        )
        cause = f"hold by {ctx.actor} until {end}"
        summary = f"{ctx.actor} held account {account_id} in {layer} until {end}"
        changed = relive(uow, ctx, ChangeKind.HOLD, summary, {(account_id, layer): cause}, day)
        return PinChange(account_id, layer, cause, changed)


def remove_hold(workspace: WorkspaceStore, ctx: Context, account_id: str, layer: str = PRIMARY) -> PinChange:
    """End the account's hold in a layer: the rules (or an override) place it again."""
    return _remove(workspace, ctx, account_id, layer, "hold")


def _remove(workspace: WorkspaceStore, ctx: Context, account_id: str, layer: str, kind: str) -> PinChange:
    may_write(ctx.principal, f"remove {kind}s")
    day = today(ctx, load_settings())
    key = (account_id, layer)
    with workspace.unit_of_work(write=True, lock=LOCK) as uow:
        if kind == "override":
            ids, end = (
                [o.override_id for o in uow.overrides.in_force() if (o.account_id, o.layer) == key],
                uow.overrides.end,
            )
        else:
            ids, end = (
                [h.hold_id for h in uow.holds.in_force() if (h.account_id, h.layer) == key],
                uow.holds.end,
            )
        if not ids:
            raise BadInput.at(f"account {account_id} has no {kind} in {layer}", "ACCOUNT_ID")
        cause = f"{kind} removed"
        end(ids, ctx.now(), cause)
        summary = f"{ctx.actor} removed the {kind} on account {account_id} in {layer}"
        change = ChangeKind.OVERRIDE if kind == "override" else ChangeKind.HOLD
        return PinChange(account_id, layer, cause, relive(uow, ctx, change, summary, {key: cause}, day))


def list_overrides(workspace: WorkspaceStore, every: bool = False) -> list[StoredOverride]:
    """The overrides in force (with `every`, ended ones too), oldest first."""
    with workspace.unit_of_work() as uow:
        return uow.overrides.all() if every else uow.overrides.in_force()


def list_holds(workspace: WorkspaceStore, every: bool = False) -> list[StoredHold]:
    """The holds in force (with `every`, ended ones too), oldest first."""
    with workspace.unit_of_work() as uow:
        return uow.holds.all() if every else uow.holds.in_force()


def status(until: date | None, ended: str | None, on: date) -> str:
    """How a listed override or hold stands: in force, expired (until a tick ends it) or ended."""
    if ended is not None:
        return f"ended: {ended}"
    if until is not None and until <= on:
        return EXPIRED
    return "in force"
