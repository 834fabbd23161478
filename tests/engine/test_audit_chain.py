"""Verifying the chain names the first entry edited, inserted or deleted, and a truncated tail."""

from __future__ import annotations

from dataclasses import replace

from territorial.domain.audit import GENESIS, StoredEntry, chained
from territorial.engine.audit_chain import beyond_head, first_break


def _chain(count: int, change_sets: dict[int, str] | None = None) -> list[StoredEntry]:
    entries: list[StoredEntry] = []
    for seq in range(1, count + 1):
        fields: dict[str, str | None] = {"what": f"change {seq}"}
        if change_sets and seq in change_sets:
            fields |= {"change_set_id": str(seq), "changes_sha256": change_sets[seq]}
        entries.append(chained(fields, seq, entries[-1].hash if entries else GENESIS))
    return entries


def test_a_whole_chain_verifies() -> None:
    assert first_break(_chain(4), {}) is None
    assert first_break([], {}) is None


def test_an_edited_entry_is_named() -> None:
    chain = _chain(4)
    chain[1] = replace(chain[1], text=chain[1].text.replace("change 2", "change two"))
    broken = first_break(chain, {})
    assert broken is not None and (broken.seq, broken.what) == (2, "edited")


def test_an_entry_edited_with_its_hash_recomputed_breaks_the_link_after_it() -> None:
    chain = _chain(4)
    chain[1] = chained({"what": "change two"}, 2, chain[0].hash)
    broken = first_break(chain, {})
    assert broken is not None and broken.seq == 3 and "entry 2 edited" in broken.detail


def test_a_deleted_entry_is_named_whether_or_not_the_rest_were_renumbered() -> None:
    chain = _chain(4)
    broken = first_break(chain[:1] + chain[2:], {})
    assert broken is not None and (broken.seq, broken.what) == (2, "deleted")
    renumbered = chain[:1] + [replace(e, seq=e.seq - 1) for e in chain[2:]]
    broken = first_break(renumbered, {})
    assert broken is not None and (broken.seq, broken.what) == (2, "deleted")


def test_an_inserted_entry_is_named() -> None:
    chain = _chain(4)
    forged = chained({"what": "forged"}, 3, chain[1].hash)
    shifted = chain[:2] + [forged] + [replace(e, seq=e.seq + 1) for e in chain[2:]]
    broken = first_break(shifted, {})
    assert broken is not None and (broken.seq, broken.what) == (3, "inserted")
    appended = [*chain, chained({"what": "forged"}, 5, GENESIS)]
    broken = first_break(appended, {})
    assert broken is not None and (broken.seq, broken.what) == (5, "inserted")


def test_a_change_set_whose_rows_changed_is_named() -> None:
    chain = _chain(3, {2: "a" * 64})
    assert first_break(chain, {2: "a" * 64}) is None
    broken = first_break(chain, {2: "b" * 64})
    assert broken is not None and (broken.seq, broken.what) == (2, "edited")
    broken = first_break(chain, {})
    assert broken is not None and "gone" in broken.detail


def test_an_expected_head_shows_a_truncated_tail_and_a_rewrite() -> None:
    chain = _chain(4)
    assert beyond_head(chain, 4, chain[3].hash) is None
    assert beyond_head(chain, 2, chain[1].hash) is None
    truncated = beyond_head(chain[:3], 4, chain[3].hash)
    assert truncated is not None and (truncated.seq, truncated.what) == (4, "truncated")
    rewritten = beyond_head(chain, 2, chain[2].hash)
    assert rewritten is not None and (rewritten.seq, rewritten.what) == (2, "edited")
