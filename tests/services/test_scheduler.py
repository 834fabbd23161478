"""The scheduler on SQLite and PostgreSQL: one lease holder runs the rounds, the lease is taken over
once it expires, and a round applies a due activation and sends its e-mail through a real SMTP server."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from receivers import Mailbox, smtp_server
from workspace_books import write_book

from conftest import CTX
from territorial.domain.entities import Entity
from territorial.domain.notifications import Digest
from territorial.services.activation import activate_plan
from territorial.services.background import start_background
from territorial.services.context import Context
from territorial.services.imports import import_records
from territorial.services.plans import add_plan
from territorial.services.scheduler import Scheduler
from territorial.services.settings import Settings
from territorial.services.subscriptions import set_preference
from territorial.store.workspace import Workspace

NEXT_DAY = Context.admin("tester", CTX.now() + timedelta(days=1))


@pytest.fixture(scope="module")
def mailbox() -> Iterator[Mailbox]:
    with smtp_server() as box:
        yield box


@pytest.fixture
def settings(monkeypatch: pytest.MonkeyPatch, mailbox: Mailbox, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TERRITORIAL_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("TERRITORIAL_SMTP_PORT", str(mailbox.port))
    monkeypatch.setenv("TERRITORIAL_SMTP_FROM", "territory-ops@example.com")


def test_only_the_lease_holder_runs_a_round_until_its_lease_expires(workspace: Workspace) -> None:
    now = [datetime(2026, 3, 2, 9, 0)]
    first = Scheduler(workspace, every=60, context=lambda: CTX, clock=lambda: now[0])
    second = Scheduler(workspace, every=60, context=lambda: CTX, clock=lambda: now[0])
    with ThreadPoolExecutor(2) as both:  # at the same moment: the lock lets one take the lease
        rounds = list(both.map(lambda s: s.run_once(), [first, second]))
    assert sorted(r.ran for r in rounds) == [False, True] and rounds[0].holder == rounds[1].holder
    if rounds[1].ran:
        first, second = second, first
    idle = second.run_once()
    assert not idle.ran and idle.holder == first.holder and idle.ticked is None and idle.sent is None
    now[0] += timedelta(seconds=150)  # the holder renews its 3-round lease each round
    assert first.run_once().ran and not second.run_once().ran
    now[0] += timedelta(seconds=181)  # the holder died: its lease ran out
    assert second.run_once().ran and not first.run_once().ran
    second.stop()  # gives the lease up: the other takes it at once
    assert first.run_once().ran


def test_a_round_applies_a_due_activation_and_sends_its_e_mail(
    workspace: Workspace, tmp_path: Path, settings: None, mailbox: Mailbox
) -> None:
    paths = write_book(tmp_path)
    import_records(workspace, CTX, Entity.REPS, paths["reps"])
    import_records(workspace, CTX, Entity.ACCOUNTS, paths["accounts"])
    plan_id = add_plan(workspace, CTX, paths["plan"])
    set_preference(workspace, CTX, "bob", Digest.IMMEDIATE, None)
    activate_plan(workspace, CTX, plan_id, NEXT_DAY.now().date())  # scheduled for tomorrow
    start = len(mailbox.received)

    day = [CTX]
    scheduler = Scheduler(workspace, context=lambda: day[0])
    today = scheduler.run_once()
    assert today.ticked is not None and today.ticked.activations == [] and today.problems == []
    day[0] = NEXT_DAY
    done = scheduler.run_once()
    assert done.ticked is not None and [a.plan_id for a in done.ticked.activations] == [plan_id]
    assert done.sent is not None and len(done.sent.sent) == 1 and done.problems == []
    assert [rcpts for rcpts, _m in mailbox.received[start:]] == [["bob@x.com"]]


def test_the_background_runs_the_scheduler_on_its_own_and_stops_cleanly(
    workspace: Workspace, settings: None
) -> None:
    background = start_background(workspace, Settings(scheduler_every=1, job_workers=1))
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with workspace.unit_of_work() as uow:
                holder = uow.leases.holder("scheduler")
            if holder is not None:
                break
            time.sleep(0.05)
    finally:
        background.stop()
    assert background.scheduler is not None and holder is not None
    assert holder[0] == background.scheduler.holder
    with workspace.unit_of_work() as uow:
        released = uow.leases.holder("scheduler")
    assert released is not None and released[1] < datetime.now()  # given up on stop
