"""Who is asking, and when: every use case takes a context, so the CLI and the API run the same
code for the command-line user and for a signed-in user."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"  # everything: the command line runs as the workspace's owner
    PLANNER = "planner"  # plans, imports, all data
    MANAGER = "manager"  # their team's reps, accounts and territories
    REP = "rep"  # their own book
    INTEGRATION = "integration"  # the CRM and marketing automation: routing leads, upserting accounts


class Scope(StrEnum):
    """What a token may be used for, within what its user's role allows."""

    READ = "read"
    WRITE = "write"  # plans, imports, records, overrides and holds: admins and planners
    ROUTE_LEADS = "leads:route"
    UPSERT_ACCOUNTS = "accounts:upsert"


# Each role's scopes: a token holds some of them, never more.
ROLE_SCOPES: dict[Role, frozenset[Scope]] = {
    Role.ADMIN: frozenset(Scope),
    Role.PLANNER: frozenset(Scope),
    Role.MANAGER: frozenset({Scope.READ}),
    Role.REP: frozenset({Scope.READ}),
    Role.INTEGRATION: frozenset({Scope.ROUTE_LEADS, Scope.UPSERT_ACCOUNTS}),
}
# Roles that read every row; the others read only their own (services.visibility).
SEE_EVERYTHING = frozenset({Role.ADMIN, Role.PLANNER})


@dataclass(frozen=True)
class Principal:
    """The identity a request is checked against: a user's role, the rep the user is (managers and
    reps), and the scopes of the token used."""

    name: str
    role: Role
    rep_id: str | None = None
    scopes: frozenset[Scope] = frozenset(Scope)

    def may(self, scope: Scope) -> bool:
        return scope in self.scopes and scope in ROLE_SCOPES[self.role]

    @property
    def sees_everything(self) -> bool:
        return self.role in SEE_EVERYTHING


def system_clock() -> datetime:
    """Now, to the second: the workspace keeps times to the second."""
    return datetime.now().replace(microsecond=0)


@dataclass(frozen=True)
class Context:
    """The actor recorded with what a use case stores, the principal it runs as, and its clock."""

    actor: str
    principal: Principal
    now: Callable[[], datetime] = field(default=system_clock)

    @classmethod
    def admin(cls, actor: str, now: datetime | None = None) -> Context:
        """The command line's context: its user as an admin, at a fixed time when one is given."""
        clock = system_clock if now is None else (lambda: now)
        return cls(actor, Principal(actor, Role.ADMIN), clock)
