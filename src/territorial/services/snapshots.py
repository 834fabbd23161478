"""Figures that take seconds on a million accounts (the dashboard's, the map's points), built once per
process and kept until the workspace changes: an import, a run, a change set or a plan edit."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from territorial.services.unit_of_work import UnitOfWork, WorkspaceStore

T = TypeVar("T")
Version = tuple[int, int, int, int]

_kept: dict[tuple[str, str], tuple[Version, object]] = {}
_building: dict[tuple[str, str], threading.Lock] = {}
_guard = threading.Lock()


def workspace_version(uow: UnitOfWork) -> Version:
    """What moves whenever the accounts or their assignment can have changed: the newest finished
    import, the newest run, the audit chain's head (every change set and plan edit is chained) and
    the active plan. Four indexed reads: about a millisecond."""
    return (
        uow.imports.latest_finished(),
        uow.runs.latest_id(),
        uow.audit.head_seq(),
        uow.plans.active_id() or 0,
    )


def kept(workspace: WorkspaceStore, kind: str, build: Callable[[], T]) -> T:
    """`build()`'s value for the workspace as it is now: the kept one while the workspace's version
    is unchanged. Two requests that find it stale build it once: the second waits for the first."""
    key = (workspace.name, kind)
    with workspace.unit_of_work() as uow:
        version = workspace_version(uow)
    with _guard:
        building = _building.setdefault(key, threading.Lock())
    with building:
        found = _kept.get(key)
        if found is not None and found[0] == version:
            value: T = found[1]  # type: ignore[assignment]
            return value
        value = build()
        _kept[key] = (version, value)
        return value


def forget(workspace: WorkspaceStore) -> None:
    """Drop what is kept for the workspace (tests and benchmarks timing a cold start)."""
    with _guard:
        for key in [key for key in _kept if key[0] == workspace.name]:
            del _kept[key]
