"""The audit trail's canonical form: one text per entry, no floats, UTC to the microsecond."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta, timezone

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import examples
from territorial.domain.audit import GENESIS, canonical, chained, changes_sha256, utc_time, why_of


def test_an_entry_has_one_text_whatever_the_order_of_its_fields() -> None:
    one = canonical({"what": "plan 2 added", "actor": "zoë", "plan_id": "2", "why": None})
    two = canonical({"why": None, "plan_id": "2", "actor": "zoë", "what": "plan 2 added"})
    assert one == two == '{"actor":"zoë","plan_id":"2","what":"plan 2 added","why":null}'


def test_numbers_are_refused_unless_written_as_text() -> None:
    with pytest.raises(ValueError):
        canonical({"changes": float("nan")})  # type: ignore[dict-item]


def test_times_are_utc_to_the_microsecond() -> None:
    paris = timezone(timedelta(hours=1))
    assert utc_time(datetime(2027, 2, 1, 0, 30, 0, 7, tzinfo=paris)) == "2027-01-31T23:30:00.000007Z"
    assert utc_time(datetime(2027, 2, 1, 9, tzinfo=UTC)) == "2027-02-01T09:00:00.000000Z"


def test_an_entry_chains_to_the_hash_before_it() -> None:
    first = chained({"what": "a"}, 1, GENESIS)
    second = chained({"what": "b"}, 2, first.hash)
    assert json.loads(first.text)["prev"] == "0" * 64 and json.loads(first.text)["seq"] == "1"
    assert json.loads(second.text)["prev"] == first.hash
    assert second.hash == hashlib.sha256(second.text.encode("utf-8")).hexdigest()


CHANGE_SCHEMA = dict.fromkeys(
    ["account_id", "layer", "from_territory_id", "from_rep_id", "to_territory_id", "to_rep_id", "cause"],
    pl.String,
)


def _reference_sha256(rows: list[tuple[str | None, ...]]) -> str:
    """The rows' hash as its definition says, one canonical line per row: the fast path's reference."""
    lines = "".join(canonical(dict(zip(CHANGE_SCHEMA, row, strict=True))) + "\n" for row in rows)
    return hashlib.sha256(lines.encode("utf-8")).hexdigest()


def test_the_rows_hash_is_of_their_canonical_lines_in_the_order_given() -> None:
    rows = [("A-1", "primary", None, None, "WEST", "jane", "plan 1 activated")]
    line = (
        '{"account_id":"A-1","cause":"plan 1 activated","from_rep_id":null,"from_territory_id":null,'
        '"layer":"primary","to_rep_id":"jane","to_territory_id":"WEST"}\n'
    )
    frame = pl.DataFrame(rows, schema=CHANGE_SCHEMA, orient="row")
    assert changes_sha256(frame) == hashlib.sha256(line.encode()).hexdigest()
    assert changes_sha256(frame.clear()) == hashlib.sha256(b"").hexdigest()
    edited = frame.with_columns(pl.lit("bob").alias("to_rep_id"))
    assert changes_sha256(edited) != changes_sha256(frame)


@given(
    st.lists(
        st.tuples(*[st.one_of(st.none(), st.text(alphabet=st.characters(codec="utf-8")))] * 7),
        max_size=5,
    )
)
@settings(max_examples=examples(30, 300))
def test_the_rows_hash_made_by_polars_equals_json_dumps_line_by_line(
    rows: list[tuple[str | None, ...]],
) -> None:
    frame = pl.DataFrame(rows, schema=CHANGE_SCHEMA, orient="row")
    assert changes_sha256(frame) == _reference_sha256(rows)


def test_quotes_backslashes_controls_and_accents_escape_as_json_dumps_does() -> None:
    odd = ['a"b\\c', "tab\there", "\x00\x1f\x7f", "zoë — 東京", "\u2028", "}", ""]
    rows = [(value, "primary", None, value, value, None, value) for value in odd]
    assert changes_sha256(pl.DataFrame(rows, schema=CHANGE_SCHEMA, orient="row")) == _reference_sha256(rows)


def test_why_names_the_distinct_causes_and_counts_the_rest() -> None:
    assert why_of(["b", "a", "b"]) == "a; b"
    assert why_of([f"c{i}" for i in range(7)]) == "c0; c1; c2; c3; c4; and 2 more"
    assert why_of([]) == ""
