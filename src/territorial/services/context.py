"""Who is asking, and when: every use case takes a context, so the CLI and the API run the same
code for the command-line user and for a signed-in user."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"  # everything: the command line runs as the workspace's owner
    PLANNER = "planner"
    REP = "rep"


@dataclass(frozen=True)
class Principal:
    """The identity a request is checked against."""

    name: str
    role: Role


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
