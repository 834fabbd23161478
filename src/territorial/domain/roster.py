"""Organisation changes: a rep joining a territory's pool, leaving, or moving to another territory,
on a day; a later day waits for `tick`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum


class RosterChangeKind(StrEnum):
    JOIN = "join"  # `rep add R --territory T`
    LEAVE = "leave"  # `rep leave R`, or a reps import that sets R inactive
    MOVE = "move"  # `rep move R --to T`: out of R's territories of T's layer, into T


class RosterChangeStatus(StrEnum):
    SCHEDULED = "scheduled"  # waits for `tick` on its day; `rep cancel` takes it back
    APPLIED = "applied"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class StoredRosterChange:
    """A roster change asked for on a day, and what became of it (`note`: why it was cancelled)."""

    change_id: int
    kind: RosterChangeKind
    rep_id: str
    territory_id: str | None  # join: the territory; move: where to; leave: None
    book_until: date | None  # move --with-book: holds keep the rep's accounts with them until then
    effective: date
    status: RosterChangeStatus
    requested_at: datetime
    actor: str | None
    applied_at: datetime | None = None
    note: str | None = None

    def event(self) -> str:
        """What happened, as a live row's cause begins: `rep-017 left`."""
        if self.kind is RosterChangeKind.LEAVE:
            return f"{self.rep_id} left"
        if self.kind is RosterChangeKind.JOIN:
            return f"{self.rep_id} joined {self.territory_id}"
        return f"{self.rep_id} moved to {self.territory_id}"

    def what(self) -> str:
        """The change as asked for: `bob moves to EAST, keeping their book until 2027-03-31`."""
        if self.kind is RosterChangeKind.LEAVE:
            return f"{self.rep_id} leaves"
        if self.kind is RosterChangeKind.JOIN:
            return f"{self.rep_id} joins {self.territory_id}"
        book = f", keeping their book until {self.book_until}" if self.book_until else ""
        return f"{self.rep_id} moves to {self.territory_id}{book}"
