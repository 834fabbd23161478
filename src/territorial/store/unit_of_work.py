"""The SQL unit of work: one transaction on the workspace and the repositories that read and write
in it (services.unit_of_work says what services may rely on)."""

from __future__ import annotations

from sqlalchemy import Connection

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


class SqlUnitOfWork:
    """The SQL repositories on one connection inside its transaction. A reading unit refuses writes."""

    def __init__(self, connection: Connection, write: bool) -> None:
        self.plans = Plans(connection, write)
        self.records = Records(connection, write)
        self.reps = Reps(connection, write)
        self.imports = Imports(connection, write)
        self.runs = AssignmentRuns(connection, write)
        self.routing = RoutingAudit(connection, write)
        self.activations = Activations(connection, write)
        self.roster = Roster(connection, write)
        self.live = LiveAssignments(connection, write)
        self.overrides = Overrides(connection, write)
        self.holds = Holds(connection, write)
        self.changes = ChangeLog(connection, write)
        self.users = Users(connection, write)
        self.tokens = Tokens(connection, write)
        self.subscriptions = Subscriptions(connection, write)
        self.outbox = Outbox(connection, write)
        self.roster_changes = RosterChanges(connection, write)
        self.audit = AuditTrail(connection, write)
        self.exports = DeltaExports(connection, write)
        self.quotas = Quotas(connection, write)
        self.baselines = Baselines(connection, write)
        self.passwords = Passwords(connection, write)
        self.sessions = Sessions(connection, write)
        self.sign_in_failures = SignInFailures(connection, write)
        self.idempotency = IdempotencyKeys(connection, write)
        self.jobs = Jobs(connection, write)
        self.leases = Leases(connection, write)
