"""Crash safety: a SIGKILL at any point of an activation leaves the previous plan wholly active, on
SQLite and PostgreSQL. The activation runs as the real command in a subprocess that stops (sleeps)
right after one of its writes; the test waits for it there, kills it and reads the workspace."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pytest
from workspace_books import write_book

from conftest import CTX, fresh_database
from territorial.domain.entities import Entity
from territorial.domain.lifecycle import PlanState
from territorial.services.activation import activate_plan
from territorial.services.context import Context
from territorial.services.imports import import_records
from territorial.services.plans import add_plan
from territorial.store.workspace import init_workspace

# Runs `territorial ARGS...` with one repository write made to stop once it has written, after
# telling the test (by a marker file) that it got there.
STOPPING_COMMAND = """
import sys, time
from pathlib import Path
from territorial.store import repositories

marker, owner, method, *args = sys.argv[1:]
cls = getattr(repositories, owner)
original = getattr(cls, method)

def stop_after(self, *a, **k):
    result = original(self, *a, **k)
    Path(marker).write_text("written")
    time.sleep(120)
    return result

setattr(cls, method, stop_after)
from territorial.cli.main import app
sys.argv = ["territorial", *args]
app()
"""

# Each write of an activation, in the order it makes them; the last is just before the commit.
WRITES = [
    ("LiveAssignments", "replace"),
    ("Roster", "start"),
    ("Plans", "set_state"),
    ("Activations", "mark"),
]


@pytest.fixture(params=["sqlite", "postgresql"])
def workspace_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with fresh_database(request.param, tmp_path) as url:
        yield url


def _snapshot(url: str) -> tuple[object, ...]:
    workspace = init_workspace(url)
    try:
        with workspace.unit_of_work() as uow:
            return (
                [(p.plan_id, p.state, p.effective) for p in uow.plans.list()],
                [(a.plan_id, a.status) for a in uow.activations.history()],
                uow.roster.current().rows(),
                sorted(uow.live.rows().rows()),
            )
    finally:
        workspace.engine.dispose()


@pytest.mark.parametrize(
    "write", [WRITES[0], *(pytest.param(w, marks=pytest.mark.slow) for w in WRITES[1:])], ids=lambda w: w[0]
)
def test_a_killed_activation_leaves_the_previous_plan_wholly_active(
    workspace_url: str, write: tuple[str, str], tmp_path: Path
) -> None:
    workspace = init_workspace(workspace_url)
    paths = write_book(tmp_path)
    import_records(workspace, CTX, Entity.REPS, paths["reps"])
    import_records(workspace, CTX, Entity.ACCOUNTS, paths["accounts"])
    first = add_plan(workspace, CTX, paths["plan"])
    second = add_plan(workspace, CTX, paths["plan"])
    activate_plan(workspace, CTX, first)
    workspace.engine.dispose()
    before = _snapshot(workspace_url)

    marker = tmp_path / "written"
    command = [sys.executable, "-c", STOPPING_COMMAND, str(marker), *write]
    command += ["--database-url", workspace_url, "plan", "activate", str(second)]
    env = {**os.environ, "TERRITORIAL_NOW": "2026-03-03T09:00:00"}
    process = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            if process.poll() is not None or time.monotonic() > deadline:
                _out, err = process.communicate(timeout=5)
                pytest.fail(f"the activation never reached {write}: {err.decode()}")
            time.sleep(0.05)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == -signal.SIGKILL

    assert _snapshot(workspace_url) == before
    assert before[0] == [(first, PlanState.ACTIVE, date(2026, 3, 2)), (second, PlanState.DRAFT, None)]
    # Nothing is left locked: the same activation goes through now.
    workspace = init_workspace(workspace_url)
    try:
        done = activate_plan(workspace, Context.admin("tester", datetime(2026, 3, 3, 9, 0)), second)
        assert (done.plan_id, done.archived) == (second, first)
    finally:
        workspace.engine.dispose()
