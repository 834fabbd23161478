"""Leads sent to be routed now (the API's POST /leads/route): each routed with the active plan and
its decision stored, with its path, before the answer goes back."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from territorial.domain.leads import Routed
from territorial.errors import BadInput
from territorial.services.context import Context
from territorial.services.lead_audit import ROUTE_LOCK
from territorial.services.permissions import may_route
from territorial.services.plans import active_plan_id
from territorial.services.routing import Router, decide_lead, open_router, store_routed
from territorial.services.snapshots import workspace_version
from territorial.services.unit_of_work import UnitOfWork, WorkspaceStore

# One request routes at most this many: a bigger batch is a file for `territorial route`.
MAX_LEADS_PER_REQUEST = 1000


@dataclass
class _Loaded:
    version: tuple[object, ...]  # the workspace's version it was loaded at, and its undone routing runs
    router: Router
    seen_run: int  # the last routing run whose pool moves it holds
    behind: bool = False  # a request failed after moving pools in memory: take them all from the store


class RouterCache:
    """One process's router for the active plan: the compiled plan, the account-matching index, reps
    and models, loaded once and again only when the workspace's version moves (snapshots: an import,
    a run, a live change or plan edit, an activation) or a routing run is undone. A service worker
    keeps one; its requests take turns on it, as the pools it holds move with every lead."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self._loaded: _Loaded | None = None

    def router(self, workspace: WorkspaceStore) -> Router:
        """The current router; the caller holds `lock`."""
        with workspace.unit_of_work() as uow:
            version = (*workspace_version(uow), uow.routing.undone_runs())
            seen = uow.routing.latest_run_id()
        loaded = self._loaded
        if loaded is not None and loaded.version == version:
            return loaded.router
        plan_id = active_plan_id(workspace, "plan")
        # Pools stored up to `seen` are in the router as opened. The version holds the active plan.
        self._loaded = _Loaded(version, open_router(workspace, plan_id), seen)
        return self._loaded.router

    def catch_up(self, uow: UnitOfWork) -> None:
        """Under ROUTE_LOCK: the pools other processes moved since this one's router last routed
        (after a failed request, every pool as stored)."""
        assert self._loaded is not None
        lead_router = self._loaded.router.lead_router
        if self._loaded.behind:
            lead_router.pools.clear()
            lead_router.earlier.clear()  # read again from the store, lead by lead
            lead_router.touched.clear()
            lead_router.carry_on(uow.routing.pools())
            self._loaded.behind = False
            return
        moved = uow.routing.pools_moved_since(self._loaded.seen_run)
        if moved:
            lead_router.carry_on(moved)

    def routed(self, run_id: int | None, uow: UnitOfWork) -> None:
        """After a request: the run it stored, or the last one (a request of leads all routed before)."""
        assert self._loaded is not None
        self._loaded.seen_run = run_id if run_id is not None else uow.routing.latest_run_id()

    def fell_behind(self) -> None:
        """After a failed request (a bad lead among good ones, a failed write): its pools moved in
        memory and were not stored. The next request takes them from the store again, rather than
        loading the whole router (seconds on a million accounts) for one bad lead."""
        if self._loaded is not None:
            self._loaded.behind = True


def route_now(
    workspace: WorkspaceStore, ctx: Context, leads: Sequence[Mapping[str, Any]], routers: RouterCache
) -> list[Routed]:
    """Route each lead in order with the active plan; a lead routed before gets its stored decision.
    The pools and the duplicate window are read, moved and stored under the workspace's routing lock,
    in one transaction with the decisions, so two workers never give the same turn twice."""
    may_route(ctx.principal)
    if not leads:
        raise BadInput.at("send at least one lead", "body", subject="leads")
    if len(leads) > MAX_LEADS_PER_REQUEST:
        raise BadInput.at(
            f"{len(leads):,} leads in one request; send at most {MAX_LEADS_PER_REQUEST:,} "
            "(a bigger batch is a file for `territorial route`)",
            "body",
            subject="leads",
        )
    started = ctx.now()
    with routers.lock:
        router = routers.router(workspace)
        try:
            with workspace.unit_of_work(write=True, lock=ROUTE_LOCK) as uow:
                routers.catch_up(uow)
                decisions = [decide_lead(uow, ctx, router, lead) for lead in leads]
                fresh = [d for d in decisions if not d.already_routed]
                run_id = store_routed(uow, ctx, router, "route_lead", fresh, started) if fresh else None
                routers.routed(run_id, uow)
        except BaseException:
            routers.fell_behind()
            raise
    return decisions
