"""The scheduler: due activations, expiring overrides and holds (`tick`) and the notification outbox
(`notify`) on a schedule, by one process at a time, the one holding the scheduler's lease."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from territorial.errors import TerritorialError
from territorial.services.activation import Ticked, tick
from territorial.services.context import Context, system_clock
from territorial.services.jobs import runner_name
from territorial.services.notify import Sent, notify
from territorial.services.unit_of_work import WorkspaceStore

log = logging.getLogger(__name__)

LEASE = "scheduler"  # the lease's name, and the lock its takers queue on
# Seconds between rounds unless the settings say otherwise (scheduler_every): an activation due at
# 00:00 or an immediate digest goes out within a minute, and an idle round costs two small queries.
EVERY_SECONDS = 60.0
# A lease lasts this many rounds: a holder that is merely slow (a long activation) keeps it, and
# one that died is taken over after at most three rounds without a scheduler.
LEASE_ROUNDS = 3
ACTOR = "scheduler"  # who the change log and the audit trail say acted


@dataclass
class Round:
    """What one round did: nothing when another process holds the lease."""

    holder: str  # who holds the lease after this round
    ran: bool
    ticked: Ticked | None = None
    sent: Sent | None = None
    problems: list[str] = field(default_factory=list)  # what a step refused (a missing setting ...)


def take_lease(workspace: WorkspaceStore, holder: str, now: datetime, seconds: float) -> tuple[bool, str]:
    """Hold the scheduler's lease for `seconds` more: True when `holder` has it; and who has it."""
    with workspace.unit_of_work(write=True, lock=LEASE) as uow:
        taken = uow.leases.take(LEASE, holder, now, now + timedelta(seconds=seconds))
        current = uow.leases.holder(LEASE)
    return taken, holder if current is None else current[0]


def run_round(
    workspace: WorkspaceStore,
    ctx: Context,
    holder: str,
    lease_seconds: float,
    clock: Callable[[], datetime] = system_clock,
) -> Round:
    """One round, if `holder` holds (or can take) the lease: `tick`, then `notify`. A step that
    refuses (a plan's checks failed, a missing SMTP setting) is reported and the next still runs."""
    taken, current = take_lease(workspace, holder, clock(), lease_seconds)
    if not taken:
        return Round(current, ran=False)
    done = Round(holder, ran=True)
    try:
        done.ticked = tick(workspace, ctx)
    except TerritorialError as refused:
        done.problems.append(f"tick: {refused}")
    try:
        done.sent = notify(workspace, ctx)
    except TerritorialError as refused:
        done.problems.append(f"notify: {refused}")
    return done


class Scheduler:
    """Runs a round every `every` seconds in a thread of its own (`start`), or in the caller's
    (`run`), until `stop`. Each round renews the lease; another process's scheduler sits idle until
    the lease expires."""

    def __init__(
        self,
        workspace: WorkspaceStore,
        every: float = EVERY_SECONDS,
        context: Callable[[], Context] | None = None,
        clock: Callable[[], datetime] = system_clock,
    ) -> None:
        self.workspace = workspace
        self.every = every
        self.holder = runner_name()
        self.clock = clock
        self.context = context or (lambda: Context.admin(ACTOR, clock()))
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def lease_seconds(self) -> float:
        return self.every * LEASE_ROUNDS

    def run_once(self) -> Round:
        return run_round(self.workspace, self.context(), self.holder, self.lease_seconds, self.clock)

    def run(self, on_round: Callable[[Round], None] = lambda _r: None) -> None:
        """Rounds until `stop`; a round that fails unexpectedly is logged and the next one runs."""
        while not self._stopping.is_set():
            try:
                on_round(self.run_once())
            except Exception:
                log.exception("a scheduler round failed")
            self._stopping.wait(self.every)

    def start(self) -> Scheduler:
        self._thread = threading.Thread(target=self.run, name="territorial-scheduler", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop after the round under way, and give the lease up so another process takes it at once."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join()
        with self.workspace.unit_of_work(write=True, lock=LEASE) as uow:
            uow.leases.release(LEASE, self.holder)
