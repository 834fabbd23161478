"""Verifying the audit trail's chain: the first entry edited, inserted or deleted, and the head."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from territorial.domain.audit import GENESIS, StoredEntry, canonical, sha256


@dataclass(frozen=True)
class Broken:
    """Where the chain stops verifying: the entry named, what happened to it, and the evidence."""

    seq: int
    what: str  # edited, inserted, deleted or truncated
    detail: str


def first_break(entries: Sequence[StoredEntry], changes: Mapping[int, str]) -> Broken | None:
    """The first entry of `entries` (by seq) that does not verify, else None. `changes` is each
    change set's SHA-256 of its assignment_changes rows as they are now (a change set that is gone
    is not in it): a change set's entry must still name the same rows."""
    prev = GENESIS
    for position, stored in enumerate(entries, start=1):
        if stored.seq != position:  # seq is the primary key: only a gap can make it larger
            return Broken(position, "deleted", f"entry {stored.seq} follows entry {position - 1}")
        if sha256(stored.text) != stored.hash:
            return Broken(position, "edited", "its text no longer gives its hash")
        entry = _parsed(stored.text)
        if entry is None:
            return Broken(position, "edited", "its text is not an entry in canonical form")
        told = entry.get("seq")
        if told != str(position):
            return _renumbered(position, told)
        if entry.get("prev") != prev:
            return Broken(
                position,
                "inserted",
                f"its prev is not entry {position - 1}'s hash: entry {position} was inserted, or entry "
                f"{position - 1} edited and its hash recomputed",
            )
        change_set = entry.get("change_set_id")
        if change_set is not None and changes.get(int(change_set)) != entry.get("changes_sha256"):
            gone = int(change_set) not in changes
            return Broken(
                position,
                "edited",
                f"change set {change_set} is gone from the change log"
                if gone
                else f"the assignment_changes rows of change set {change_set} were edited "
                "(their SHA-256 is not the one the entry holds)",
            )
        prev = stored.hash
    return None


def _parsed(text: str) -> dict[str, str | None] | None:
    """The entry a text holds, when it is one written in canonical form."""
    try:
        entry = json.loads(text)
    except ValueError:
        return None
    if not isinstance(entry, dict) or canonical(entry) != text:
        return None
    return entry


def _renumbered(position: int, told: str | None) -> Broken:
    """An entry whose text names another seq than its place: the entries were renumbered around a
    deleted or an inserted one."""
    if told is not None and told.isdigit() and int(told) > position:
        return Broken(
            position, "deleted", f"entry {position} holds entry {told}'s text: the rest were renumbered"
        )
    if told is not None and told.isdigit() and int(told) < position:
        return Broken(position - 1, "inserted", f"entry {position} holds entry {told}'s text")
    return Broken(position, "edited", f"its text names seq {told}")


def beyond_head(entries: Sequence[StoredEntry], seq: int, hash_: str) -> Broken | None:
    """What an expected head (one read earlier, `audit verify` printed it) shows: None when the
    chain holds that entry with that hash; a truncated tail or a rewrite from that entry on."""
    if seq > len(entries):
        last = len(entries)
        return Broken(
            seq, "truncated", f"the chain ends at entry {last}; entries {last + 1} to {seq} are gone"
        )
    if seq >= 1 and entries[seq - 1].hash != hash_:
        return Broken(seq, "edited", "its hash is not the expected head's: the chain was rewritten")
    return None
