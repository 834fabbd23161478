"""A unit of work: one transaction on the workspace and the repositories that read and write in it.

Services take a `WorkspaceStore` and open units of work on it, one to read and, after any long
computation, another to write. Tests give services an in-memory fake with the same methods."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Protocol

from sqlalchemy import Connection

from territorial.store.repositories import AssignmentRuns, Imports, Plans, Records, Reps, RoutingAudit


class UnitOfWork(Protocol):
    """The repositories of one transaction."""

    plans: Plans
    records: Records
    reps: Reps
    imports: Imports
    runs: AssignmentRuns
    routing: RoutingAudit


class WorkspaceStore(Protocol):
    """What services need of a workspace: its name, and units of work on it."""

    @property
    def name(self) -> str: ...

    def unit_of_work(
        self, write: bool = False, lock: str | None = None
    ) -> AbstractContextManager[UnitOfWork]:
        """A transaction; a writer names the lock it takes (`import:accounts`, `assign`, `route`)."""
        ...


class SqlUnitOfWork:
    """The SQL repositories on one connection inside its transaction. A reading unit refuses writes."""

    def __init__(self, connection: Connection, write: bool) -> None:
        self.plans = Plans(connection, write)
        self.records = Records(connection, write)
        self.reps = Reps(connection, write)
        self.imports = Imports(connection, write)
        self.runs = AssignmentRuns(connection, write)
        self.routing = RoutingAudit(connection, write)
