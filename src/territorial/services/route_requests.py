"""Leads sent to be routed now (the API's POST /leads/route): each routed with the active plan and
its decision stored, with its path, before the answer goes back."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
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
        self.lock = threading.Lock()  # held by the request routing a batch
        self.waiting_lock = threading.Lock()
        self.waiting: list[_Request] = []  # requests that arrived since that batch was taken
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


@dataclass
class _Request:
    """One request's leads waiting for their turn; routed by whichever request leads the batch."""

    ctx: Context
    leads: Sequence[Mapping[str, Any]]
    started: datetime
    decisions: list[Routed] | None = None
    error: BaseException | None = None
    done: bool = False


class _Refused(Exception):
    """One request of a batch failed on its own leads (a bad lead): the batch is tried again without it."""

    def __init__(self, request: _Request) -> None:
        super().__init__()
        self.request = request


def route_now(
    workspace: WorkspaceStore, ctx: Context, leads: Sequence[Mapping[str, Any]], routers: RouterCache
) -> list[Routed]:
    """Route each lead in order with the active plan; a lead routed before gets its stored decision.
    The pools and the duplicate window are read, moved and stored under the workspace's routing lock,
    in one transaction with the decisions, so two workers never give the same turn twice.

    Requests that arrive while another is being routed wait, and are then routed together, in the
    order they arrived, in one transaction (a group commit): the lock, the version check and the
    commit's flush to disk, which cost more than deciding a lead, are paid once per batch, so a busy
    worker routes more leads per second rather than queueing. Each request still gets its own run,
    and a bad lead fails only its own request."""
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
    request = _Request(ctx, leads, ctx.now())
    with routers.waiting_lock:
        routers.waiting.append(request)
    with routers.lock:
        if not request.done:  # else a request that held the lock before routed it
            with routers.waiting_lock:
                batch, routers.waiting = routers.waiting, []
            _route_batch(workspace, routers, batch)
    if request.error is not None:
        raise request.error
    assert request.decisions is not None
    return request.decisions


def _route_batch(workspace: WorkspaceStore, routers: RouterCache, batch: list[_Request]) -> None:
    """Under the cache's lock: route the batch's requests in order in one unit of work. A request that
    fails on its own leads is answered with its error and the rest are routed again without it (from
    the pools as stored: its good leads may have moved them in memory)."""
    try:
        router = routers.router(workspace)
    except BaseException as err:
        _answer(batch, err)
        return
    while batch:
        try:
            with workspace.unit_of_work(write=True, lock=ROUTE_LOCK) as uow:
                routers.catch_up(uow)
                runs = [_route_request(uow, router, request) for request in batch]
                routers.routed(max((r for r in runs if r is not None), default=None), uow)
        except _Refused as refused:
            routers.fell_behind()
            batch.remove(refused.request)
            _answer([refused.request], refused.request.error)
            for request in batch:
                request.decisions = None
            continue
        except BaseException as err:
            routers.fell_behind()
            _answer(batch, err)
            return
        _answer(batch, None)
        return


def _route_request(uow: UnitOfWork, router: Router, request: _Request) -> int | None:
    """Decide one request's leads and store them as one run (none when every lead was routed before)."""
    try:
        decisions = [decide_lead(uow, request.ctx, router, lead) for lead in request.leads]
    except BadInput as err:
        request.error = err
        raise _Refused(request) from None
    request.decisions = decisions
    fresh = [d for d in decisions if not d.already_routed]
    if not fresh:
        return None
    return store_routed(uow, request.ctx, router, "route_lead", fresh, request.started)


def _answer(requests: Sequence[_Request], error: BaseException | None) -> None:
    for request in requests:
        if error is not None:
            request.error, request.decisions = error, None
        request.done = True
