"""The audit trail's entries in their canonical form: what is hashed, how, and what chains them."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

import polars as pl

# The `prev` of the first entry: there is nothing before it.
GENESIS = "0" * 64
# The kind of an entry that records a plan edit (a change set's entry has its ChangeKind).
PLAN_EDIT = "plan"
# Rows hashed per slice: a million rows' JSON lines at once would hold 100 MB of text.
HASHED_AT_ONCE = 100_000
# Why a change set changed its rows: its rows' distinct causes, this many at most, then a count.
WHY_SHOWN = 5


@dataclass(frozen=True)
class StoredEntry:
    """One entry as the chain keeps it: its place, its canonical text and that text's SHA-256."""

    seq: int
    text: str
    hash: str


def canonical(entry: Mapping[str, str | None]) -> str:
    """The one text of an entry: sorted keys, no spaces, UTF-8 as it is. Values are text or null:
    numbers are written as decimal strings, so no reader can round them."""
    return json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def utc_time(at: datetime) -> str:
    """A moment as the chain writes it: UTC to the microsecond, `YYYY-MM-DDTHH:MM:SS.ffffffZ`. A
    time without a zone is this machine's local time, as the context's clock gives it."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def changes_sha256(rows: pl.DataFrame) -> str:
    """The SHA-256 of a change set's changed rows, taken in the order given (binary (account_id,
    layer) order, as the change log keeps them): each row as a canonical JSON object (its column
    names as keys, sorted) on a line of its own."""
    digest = hashlib.sha256()
    for start in range(0, rows.height, HASHED_AT_ONCE):
        digest.update(_json_lines(rows.slice(start, HASHED_AT_ONCE)).encode("utf-8"))
    return digest.hexdigest()


def _json_lines(rows: pl.DataFrame) -> str:
    """The rows' JSON lines, made by polars: its JSON escapes text exactly as json.dumps with
    ensure_ascii=False does (a test holds it to that), at a fraction of the time on a million rows."""
    objects = pl.struct(sorted(rows.columns)).struct.json_encode()
    return str(rows.select(objects.str.join("\n")).item()) + "\n"


def why_of(causes: Iterable[str]) -> str:
    """A change set's why, from its rows' causes: the distinct ones in binary order, the first few."""
    distinct = sorted(set(causes))
    shown = "; ".join(distinct[:WHY_SHOWN])
    more = len(distinct) - WHY_SHOWN
    return shown + (f"; and {more} more" if more > 0 else "")


def chained(fields: Mapping[str, str | None], seq: int, prev: str) -> StoredEntry:
    """The entry that follows the one whose hash is `prev`, as number `seq`."""
    text = canonical({**fields, "seq": str(seq), "prev": prev})
    return StoredEntry(seq, text, sha256(text))
