"""What services need of a workspace: units of work, each one transaction holding the repositories.

Services take a `WorkspaceStore` and open units of work on it, one to read and, after any long
computation, another to write. The store's SQL workspace and the tests' in-memory fake both fit."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Protocol

from territorial.store.baselines import Baselines
from territorial.store.idempotency import IdempotencyKeys
from territorial.store.jobs import Jobs, Leases
from territorial.store.notifications import Outbox, Subscriptions
from territorial.store.quotas import Quotas
from territorial.store.repositories import (
    Activations,
    AssignmentRuns,
    AuditTrail,
    ChangeLog,
    DeltaExports,
    Holds,
    Imports,
    LiveAssignments,
    Overrides,
    Plans,
    Records,
    Reps,
    Roster,
    RosterChanges,
    RoutingAudit,
    Tokens,
    Users,
)
from territorial.store.sign_in import Passwords, Sessions, SignInFailures


class UnitOfWork(Protocol):
    """The repositories of one transaction."""

    plans: Plans
    records: Records
    reps: Reps
    imports: Imports
    runs: AssignmentRuns
    routing: RoutingAudit
    activations: Activations
    roster: Roster
    live: LiveAssignments
    overrides: Overrides
    holds: Holds
    changes: ChangeLog
    users: Users
    tokens: Tokens
    subscriptions: Subscriptions
    outbox: Outbox
    roster_changes: RosterChanges
    audit: AuditTrail
    exports: DeltaExports
    quotas: Quotas
    baselines: Baselines
    passwords: Passwords
    sessions: Sessions
    sign_in_failures: SignInFailures
    idempotency: IdempotencyKeys
    jobs: Jobs
    leases: Leases


class WorkspaceStore(Protocol):
    """What services need of a workspace: its name, and units of work on it."""

    @property
    def name(self) -> str: ...

    def unit_of_work(
        self, write: bool = False, lock: str | None = None
    ) -> AbstractContextManager[UnitOfWork]:
        """A transaction; a writer names the lock it takes (`import:accounts`, `assign`, `route`)."""
        ...
