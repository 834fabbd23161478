"""`route undo`: take back a routing run's decisions, queue entries and pool pointer moves."""

from __future__ import annotations

from territorial.domain.stored import StoredRoutingRun
from territorial.errors import BadInput
from territorial.services.context import Context
from territorial.services.unit_of_work import WorkspaceStore


def undo_routing_run(workspace: WorkspaceStore, ctx: Context, route_run_id: int) -> StoredRoutingRun:
    """Undo a routing run: its decisions (and so its queue entries) go, every pool it moved is put
    back where it stood before, and the run stays in the audit, marked undone by whom and when.

    Refused when a later run moved one of the same pools: its pointers start from this run's, so
    putting this run's back would silently rewrite that run's; undo the later runs first."""
    with workspace.unit_of_work(write=True, lock="route") as uow:
        run = uow.routing.routing_run(route_run_id)
        if run is None:
            raise BadInput.at(f"there is no routing run {route_run_id}", "RUN_ID")
        if run.undone_at is not None:
            raise BadInput.at(
                f"routing run {route_run_id} was already undone on {run.undone_at:%Y-%m-%d %H:%M}", "RUN_ID"
            )
        if not run.pools and not uow.routing.pooled_leads(None, None, route_run_id).is_empty():
            # Stored before runs kept their pools' earlier pointers: they could not be put back.
            raise BadInput.at(
                f"routing run {route_run_id} was stored before runs kept where their pools stood, so its "
                "round-robin pointers cannot be put back; it cannot be undone",
                "RUN_ID",
            )
        if run.later_runs:
            later = ", ".join(str(r) for r in run.later_runs)
            first = " then ".join(f"`territorial route undo {r}`" for r in run.later_runs)
            raise BadInput.at(
                f"routing run {route_run_id} cannot be undone: later runs ({later}) moved one of its pools "
                f"({', '.join(run.pools)}) on from where it left them; undo them first, newest first: "
                + first,
                "RUN_ID",
            )
        uow.routing.undo_run(route_run_id, ctx.now(), ctx.actor)
    return run
