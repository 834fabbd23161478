"""The audit trail: an entry chained for every change set and plan edit, reading who changed an
account, a rep's book or a plan, and verifying that nothing in the chain was edited, inserted or deleted."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date

import polars as pl

from territorial.domain.audit import PLAN_EDIT, StoredEntry, changes_sha256, sha256, utc_time, why_of
from territorial.domain.lifecycle import ChangeKind
from territorial.engine.audit_chain import Broken, beyond_head, first_break
from territorial.engine.live_changes import CHANGE_COLUMNS
from territorial.errors import BadInput
from territorial.progress import Progress, silent
from territorial.services.context import Context
from territorial.services.unit_of_work import UnitOfWork, WorkspaceStore


def record_change_set(
    uow: UnitOfWork,
    ctx: Context,
    change_set_id: int,
    kind: ChangeKind,
    summary: str,
    effective: date,
    plan_id: int | None,
    changed: pl.DataFrame,
) -> StoredEntry:
    """Chain the entry of a change set, inside its transaction: who, when, what, why (its rows'
    causes), and the SHA-256 of the rows (CHANGE_COLUMNS, in binary (account_id, layer) order)."""
    ordered = changed.select(CHANGE_COLUMNS).sort("account_id", "layer")
    return uow.audit.append(
        {
            "kind": kind.value,
            "at": utc_time(ctx.now()),
            "actor": ctx.actor,
            "what": summary,
            "why": why_of(ordered.get_column("cause").unique().to_list()),
            "change_set_id": str(change_set_id),
            "plan_id": None if plan_id is None else str(plan_id),
            "effective": effective.isoformat(),
            "changes": str(ordered.height),
            "changes_sha256": changes_sha256(ordered),
        }
    )


def record_plan_edit(
    uow: UnitOfWork, ctx: Context, plan_id: int, what: str, source: str | None = None
) -> StoredEntry:
    """Chain the entry of a plan edit (added, updated, cloned, deleted, unscheduled), inside its
    transaction; a plan's YAML, when the edit stored one, is pinned by its SHA-256."""
    return uow.audit.append(
        {
            "kind": PLAN_EDIT,
            "at": utc_time(ctx.now()),
            "actor": ctx.actor,
            "what": what,
            "plan_id": str(plan_id),
            "plan_sha256": None if source is None else sha256(source),
        }
    )


@dataclass(frozen=True)
class Verified:
    """What `audit verify` found: the head (the last entry's seq and hash; 0 and no hash for an empty
    chain), and the first break, if any."""

    seq: int
    hash: str | None
    broken: Broken | None


def verify_chain(
    workspace: WorkspaceStore, expect_head: str | None = None, progress: Progress = silent
) -> Verified:
    """The chain checked from its first entry: every entry's hash, its link to the one before, its
    place, and its change set's rows; with `expect_head` (SEQ:HASH, a head printed earlier) also
    that the chain still holds that entry, so a truncated tail shows."""
    expected = _head_of(expect_head) if expect_head is not None else None
    progress("Reading the audit trail and the change log", None)
    with workspace.unit_of_work() as uow:
        entries = uow.audit.entries()
        rows = uow.changes.rows()
        set_ids = [s.change_set_id for s in uow.changes.sets()]
    progress(f"Hashing {rows.height:,} changed rows of {len(set_ids):,} change sets", None)
    broken = first_break(entries, _rows_sha256(rows, set_ids))
    if broken is None and expected is not None:
        broken = beyond_head(entries, *expected)
    head = entries[-1] if entries else None
    return Verified(0 if head is None else head.seq, None if head is None else head.hash, broken)


def _rows_sha256(rows: pl.DataFrame, change_set_ids: list[int]) -> dict[int, str]:
    """Each change set's SHA-256 of its rows as they are now (none: the hash of nothing)."""
    nothing = changes_sha256(rows.clear().select(CHANGE_COLUMNS))
    hashes = dict.fromkeys(change_set_ids, nothing)
    for key, found in rows.partition_by("change_set_id", as_dict=True, maintain_order=True).items():
        hashes[int(str(key[0]))] = changes_sha256(found.select(CHANGE_COLUMNS))
    return hashes


HEAD = re.compile(r"([0-9]+):([0-9a-f]{64})")


def _head_of(text: str) -> tuple[int, str]:
    found = HEAD.fullmatch(text.strip().lower())
    if found is None or int(found.group(1)) < 1:
        raise BadInput.at(
            f"expected SEQ:HASH as `territorial audit verify` prints the head (12:3f5a…, 64 hex "
            f"digits), got {text!r}",
            "--expect-head",
        )
    return int(found.group(1)), found.group(2)


@dataclass(frozen=True)
class AuditRow:
    """One changed row with its change set's who and when, or a plan edit (no account)."""

    change_set: int | None
    at: str  # UTC, as the chain writes it
    actor: str
    what: str
    account_id: str | None
    layer: str | None
    from_place: str
    to_place: str
    cause: str


def audit_rows(
    workspace: WorkspaceStore,
    account_id: str | None = None,
    rep_id: str | None = None,
    plan_id: int | None = None,
    since: date | None = None,
) -> list[AuditRow]:
    """The changed rows of one account, of one rep (gained or lost) or of one plan's change sets and
    its edits, oldest first, from `since` (the day they took effect) on."""
    if [account_id, rep_id, plan_id].count(None) != 2:
        raise BadInput.at("give one of --account, --rep and --plan", "--account")
    with workspace.unit_of_work() as uow:
        sets = {s.change_set_id: s for s in uow.changes.sets()}
        if plan_id is not None:
            wanted = [i for i, s in sets.items() if s.plan_id == plan_id]
            rows = uow.changes.rows(wanted)
        else:
            rows = uow.changes.rows(account_id=account_id, rep_id=rep_id)
        entries = uow.audit.entries() if plan_id is not None else []
    found = []
    for row in rows.iter_rows(named=True):
        made = sets[row["change_set_id"]]
        if since is not None and made.effective < since:
            continue
        found.append(
            AuditRow(
                made.change_set_id,
                utc_time(made.at),
                made.actor,
                made.summary,
                row["account_id"],
                row["layer"],
                _place(row["from_territory_id"], row["from_rep_id"]),
                _place(row["to_territory_id"], row["to_rep_id"]),
                row["cause"],
            )
        )
    edits = [_plan_edit(e) for e in entries]
    found += [e[1] for e in edits if e is not None and e[0] == str(plan_id) and _from(e[1].at, since)]
    return sorted(found, key=lambda r: (r.at, r.change_set or 0))


def _place(territory_id: str | None, rep_id: str | None) -> str:
    """Where a row is: `TERRITORY / rep`, `—` for nowhere."""
    if territory_id is None and rep_id is None:
        return "—"
    return f"{territory_id or '(no territory)'} / {rep_id or '(vacant)'}"


def _plan_edit(stored: StoredEntry) -> tuple[str | None, AuditRow] | None:
    entry = json.loads(stored.text)
    if entry.get("kind") != PLAN_EDIT:
        return None
    return entry.get("plan_id"), AuditRow(
        None, entry["at"], entry["actor"], entry["what"], None, None, "", "", ""
    )


def _from(at: str, since: date | None) -> bool:
    return since is None or date.fromisoformat(at[:10]) >= since
