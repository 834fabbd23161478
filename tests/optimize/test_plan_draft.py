"""Draft plans from an alignment: the rules, their layout, and the round trip through the real engine."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import run_plan, winners
from territorial.domain.assignment import Assignment
from territorial.io.plan_file import parse_plan
from territorial.io.plan_writer import WIDTH, rule_lines
from territorial.optimize.plan_draft import (
    DraftTerritory,
    SegmentField,
    SegmentZips,
    draft_rule,
    draft_territories,
    draft_with_fewest_exceptions,
)
from territorial.services.assign import assign_files
from territorial.services.draft_plan import draft_plan_text


def drafted_rule(
    territory: DraftTerritory,
    zip_field: str | None,
    segment_field: str | None = None,
    state_field: str | None = None,
) -> list[str]:
    return rule_lines(draft_rule(territory, zip_field, segment_field, state_field))


def test_zip_goes_to_its_majority_and_the_others_are_named_and_excluded() -> None:
    drafted = draft_territories(
        ["A1", "A2", "A3", "A4", "A5"],
        ["10001", "10001", "10001", "20002", None],
        ["T1", "T1", "T2", "T2", "T1"],
        [("T2", "rep-2"), ("T1", "rep-1"), ("T3", None)],
    )
    by_id = {t.id: t for t in drafted}
    assert [t.id for t in drafted] == ["T1", "T2", "T3"]  # sorted by id
    assert by_id["T1"].zips == ["10001"]
    assert by_id["T1"].away == ["A3"]  # in T1's ZIP but aligned to T2
    assert by_id["T1"].named == ["A5"]  # no ZIP
    assert by_id["T2"].zips == ["20002"]
    assert by_id["T2"].named == ["A3"]
    assert by_id["T3"].accounts == 0
    assert drafted_rule(by_id["T1"], "postal_code") == [
        "(postal_code IN ('10001')",
        "AND account_id NOT IN ('A3'))",
        "OR account_id IN ('A5')",
    ]
    assert drafted_rule(by_id["T3"], "postal_code") == ["account_id IS NULL"]


def test_a_tied_zip_goes_to_the_smaller_territory_id() -> None:
    drafted = draft_territories(["a", "b"], ["10001", "10001"], ["T9", "T1"], [("T1", None), ("T9", None)])
    assert drafted[0].zips == ["10001"] and drafted[1].named == ["a"]


def test_zips_group_ignoring_case_as_rules_compare() -> None:
    drafted = draft_territories(
        ["a", "b", "c"], ["K1A 0B1", "k1a 0b1", "K1A 0B1"], ["T1", "T1", "T1"], [("T1", "r")]
    )
    assert drafted[0].zips == ["K1A 0B1"]  # one spelling, the smallest
    assert drafted[0].named == []


def test_ids_differing_only_in_case_in_different_territories_are_refused() -> None:
    with pytest.raises(ValueError, match="differ only in case"):
        draft_territories(["A1", "a1"], ["10001", "10001"], ["T1", "T2"], [("T1", None), ("T2", None)])


def test_yaml_is_sorted_wrapped_quoted_and_parses() -> None:
    ids = [f"A-{i:03d}" for i in range(60)] + ["O'Brien"]
    zips = [f"{10000 + i:05d}" for i in range(60)] + ["99999"]
    aligned = ["T2"] * 30 + ["T1"] * 31
    drafted = draft_territories(ids, zips, aligned, [("T2", "rep 2"), ("T1", "rep-1")])
    text = draft_plan_text(drafted, "postal_code", workload="employees")
    assert text == draft_plan_text(
        draft_territories(ids[::-1], zips[::-1], aligned[::-1], [("T1", "rep-1"), ("T2", "rep 2")]),
        "postal_code",
        workload="employees",
    )
    assert "reps: ['rep 2']" in text
    assert "'O''Brien'" not in text  # O'Brien is in its own ZIP: no need to name it
    rule_rows = [line for line in text.splitlines() if line.startswith("      ")]
    assert len(rule_rows) > 4 and all(len(line) <= WIDTH + 8 for line in rule_rows)
    plan = parse_plan(text, "draft.yaml")
    assert [t.id for t in plan.territories] == ["T1", "T2"]
    assert plan.workload == "employees"


@st.composite
def alignments(draw: st.DrawFn) -> tuple[list[dict[str, str | None]], dict[str, str], list[str]]:
    k = draw(st.integers(1, 4))
    territories = [f"T{j}" for j in range(k)]
    zips = ["02134", "10001", "10002", "K1A 0B1", "k1a 0b1", "99501"]
    n = draw(st.integers(1, 30))
    rows, aligned = [], {}
    for i in range(n):
        account = draw(st.sampled_from([f"A-{i}", f"O'Neil {i}", f"x,{i}", f"{i:04d}"]))
        rows.append({"account_id": account, "postal_code": draw(st.sampled_from([*zips, None]))})
        aligned[account] = draw(st.sampled_from(territories))
    return rows, aligned, territories


Case = tuple[list[dict[str, str | None]], dict[str, str], list[str]]


def draft_and_run(case: Case, segment_field: str | None, state_field: str | None = None) -> Assignment:
    """Draft the alignment and run the real engine on the plan: every account lands where it was
    aligned, by one territory's rule alone."""
    rows, aligned, territories = case
    ids = [str(r["account_id"]) for r in rows]
    segments = (
        None if segment_field is None else SegmentField(segment_field, [r[segment_field] for r in rows])
    )
    drafted = draft_territories(
        ids,
        [r["postal_code"] for r in rows],
        [aligned[a] for a in ids],
        [(t, f"rep-{t}") for t in territories],
        segments,
        states=None if state_field is None else [r[state_field] for r in rows],
    )
    text = draft_plan_text(drafted, "postal_code", segment_field=segment_field, state_field=state_field)
    result = run_plan(text, rows)
    assert winners(result) == aligned
    assert not result.rows["tie"].any()
    assert result.rows["overlaps"].fill_null("").eq("").all()
    return result


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(alignments())
def test_the_real_engine_puts_every_account_where_the_alignment_did(case: Case) -> None:
    draft_and_run(case, None)


def test_round_trip_through_assign_files(tmp_path: Path) -> None:
    accounts = tmp_path / "accounts.csv"
    accounts.write_text(
        "account_id,postal_code,employees\n"
        "A1,02134,10\nA2,02134,20\nA3,02134,5\nA4,10001,7\nA5,,3\nA6,10001,1\n"
    )
    aligned = {"A1": "EAST", "A2": "EAST", "A3": "WEST", "A4": "WEST", "A5": "EAST", "A6": "WEST"}
    ids = list(aligned)
    zips = ["02134", "02134", "02134", "10001", None, "10001"]
    drafted = draft_territories(ids, zips, [aligned[a] for a in ids], [("EAST", "r1"), ("WEST", "r2")])
    (tmp_path / "plan.yaml").write_text(draft_plan_text(drafted, "postal_code", workload="employees"))
    run = assign_files(tmp_path / "plan.yaml", accounts)
    rows = run.assignment.rows.filter(pl.col("layer") == "primary").sort("account_id")
    assert dict(zip(rows["account_id"], rows["territory_id"], strict=True)) == aligned
    assert rows["rep_id"].to_list() == ["r1", "r1", "r2", "r2", "r1", "r2"]


def test_a_zip_split_by_segment_gives_each_cell_to_its_majority() -> None:
    ids = ["E1", "E2", "E3", "S1", "S2", "M1", "P1"]
    zips = ["10001", "10001", "10001", "10001", "10001", "10001", "20002"]
    segment = ["Enterprise", "enterprise", "ENTERPRISE", "SMB", "SMB", "Mid-Market", "SMB"]
    aligned = ["BIG", "BIG", "SMALL", "SMALL", "SMALL", "BIG", "SMALL"]
    drafted = draft_territories(
        ids, zips, aligned, [("SMALL", "r2"), ("BIG", "r1")], SegmentField("segment", segment)
    )
    big, small = drafted
    assert big.zips == [] and small.zips == ["20002"]  # 20002 is not split: a plain ZIP
    assert big.segments == (
        SegmentZips("ENTERPRISE", ["10001"]),  # grouped ignoring case; the smallest spelling
        SegmentZips("Mid-Market", ["10001"]),
    )
    assert small.segments == (SegmentZips("SMB", ["10001"]),)
    assert big.away == ["E3"] and small.named == ["E3"]
    assert drafted_rule(big, "postal_code", "segment") == [
        "((segment = 'ENTERPRISE' AND postal_code IN ('10001'))",
        "OR (segment = 'Mid-Market' AND postal_code IN ('10001')))",
        "AND account_id NOT IN ('E3')",
    ]
    assert drafted_rule(small, "postal_code", "segment") == [
        "postal_code IN ('20002')",
        "OR (segment = 'SMB' AND postal_code IN ('10001'))",
        "OR account_id IN ('E3')",
    ]
    rows = [
        {"account_id": a, "postal_code": z, "segment": s} for a, z, s in zip(ids, zips, segment, strict=True)
    ]
    result = run_plan(draft_plan_text(drafted, "postal_code", segment_field="segment"), rows)
    assert winners(result) == dict(zip(ids, aligned, strict=True))


def test_a_zip_whose_cells_all_go_to_one_territory_stays_a_plain_zip() -> None:
    drafted = draft_territories(
        ["a", "b", "c"],
        ["10001", "10001", "10001"],
        ["T1", "T1", "T1"],
        [("T1", None)],
        SegmentField("segment", ["SMB", "Enterprise", None]),
    )
    assert drafted[0].zips == ["10001"] and drafted[0].segments == ()
    assert drafted_rule(drafted[0], "postal_code", "segment") == ["postal_code IN ('10001')"]


def test_a_tied_cell_goes_to_the_smaller_territory_id() -> None:
    drafted = draft_territories(
        ["a", "b", "c"],
        ["10001", "10001", "10001"],
        ["T9", "T1", "T9"],
        [("T1", None), ("T9", None)],
        SegmentField("skills", ["healthcare", "Healthcare", "spanish"]),
    )
    t1, t9 = drafted
    assert t1.segments == (SegmentZips("Healthcare", ["10001"]),) and t1.away == ["a"]
    assert t9.segments == (SegmentZips("spanish", ["10001"]),) and t9.named == ["a"]


def test_blank_segment_values_are_a_null_cell_written_last(tmp_path: Path) -> None:
    # Empty and blank cells of a file are NULL to the rules engine: `segment IS NULL` takes them.
    accounts = tmp_path / "accounts.csv"
    accounts.write_text(
        "account_id,postal_code,segment\n"
        "A1,10001,SMB\nA2,10001,\nA3,10001,   \nA4,10001,Enterprise\nA5,10001,Enterprise\nA6,,SMB\n"
    )
    aligned = {"A1": "T1", "A2": "T1", "A3": "T1", "A4": "T2", "A5": "T2", "A6": "T2"}
    ids = list(aligned)
    drafted = draft_territories(
        ids,
        ["10001"] * 5 + [None],
        list(aligned.values()),
        [("T1", None), ("T2", None)],
        SegmentField("segment", ["SMB", "", "   ", "Enterprise", "Enterprise", "SMB"]),
    )
    assert drafted[0].segments == (SegmentZips("SMB", ["10001"], True), SegmentZips(None, ["10001"]))
    assert drafted[1].segments == (SegmentZips("Enterprise", ["10001"], True),)
    assert drafted[1].named == ["A6"]  # no ZIP: named, whatever its segment
    text = draft_plan_text(drafted, "postal_code", segment_field="segment")
    assert "fields: {postal_code: string, segment: string}" in text
    assert drafted_rule(drafted[0], "postal_code", "segment") == [
        # IS NOT NULL: for A2 and A3 the rule is FALSE, not UNKNOWN ("missed because a field was empty")
        "(segment IS NOT NULL AND segment = 'SMB' AND postal_code IN ('10001'))",
        "OR (segment IS NULL AND postal_code IN ('10001'))",
    ]
    (tmp_path / "plan.yaml").write_text(text)
    run = assign_files(tmp_path / "plan.yaml", accounts)
    rows = run.assignment.rows.filter(pl.col("layer") == "primary")
    assert dict(zip(rows["account_id"], rows["territory_id"], strict=True)) == aligned
    assert run.assignment.skipped_on_null == 1  # only A6, whose empty ZIP no rule can test


def test_segment_drafts_are_byte_identical_whatever_the_row_order() -> None:
    ids = [f"A-{i:03d}" for i in range(90)]
    zips = [f"{10000 + i % 7:05d}" for i in range(90)]
    segment = [["SMB", "smb", "Enterprise", None, "Mid-Market"][i % 5] for i in range(90)]
    # Mostly by ZIP and segment (SMB and smb alike), with every eleventh account elsewhere.
    aligned = [["T1", "T2", "T3"][(i % 7 + min(i % 5, 3) // 2 + (i % 11 == 0)) % 3] for i in range(90)]
    territories = [("T1", "r1"), ("T2", "r2"), ("T3", "r3")]

    def text(order: slice) -> str:
        drafted, chosen, notes = draft_with_fewest_exceptions(
            ids[order],
            zips[order],
            aligned[order],
            territories[order],
            [SegmentField("segment", segment[order])],
        )
        assert chosen is not None
        return draft_plan_text(drafted, "postal_code", notes=notes, segment_field=chosen.field)

    assert text(slice(None)) == text(slice(None, None, -1))
    assert "segment = 'SMB'" in text(slice(None)) and "'smb'" not in text(slice(None))


def test_the_segment_field_with_the_fewest_exceptions_is_chosen() -> None:
    ids = ["a", "b", "c", "d"]
    zips = ["10001"] * 4
    aligned = ["T1", "T1", "T2", "T2"]
    territories = [("T1", None), ("T2", None)]
    useless = SegmentField("skills", ["x", "x", "x", "x"])
    splits = SegmentField("segment", ["SMB", "SMB", "Enterprise", "Enterprise"])
    also_splits = SegmentField("tier", ["1", "1", "2", "2"])
    drafted, chosen, notes = draft_with_fewest_exceptions(ids, zips, aligned, territories, [useless, splits])
    assert chosen == splits and sum(t.exceptions for t in drafted) == 0
    assert notes == [
        "Segment field: segment, for the fewest exceptions and named accounts, 0 "
        "(ZIP codes alone: 4; split by skills: 4)."
    ]
    _drafted, chosen, _notes = draft_with_fewest_exceptions(
        ids, zips, aligned, territories, [splits, also_splits]
    )
    assert chosen == splits  # a tie: the first candidate
    _drafted, chosen, notes = draft_with_fewest_exceptions(ids, zips, aligned, territories, [useless])
    assert chosen is None  # a tie with ZIP codes alone: no segment rules
    assert notes == [
        "Segment field: none, for the fewest exceptions and named accounts, 4 (split by skills: 4)."
    ]
    unwritable = SegmentField("segment", ["SMB", "SMB", "Enter\nprise", "Enter\nprise"])
    assert draft_with_fewest_exceptions(ids, zips, aligned, territories, [unwritable])[1] is None
    assert draft_with_fewest_exceptions(ids, zips, aligned, territories) == (
        draft_territories(ids, zips, aligned, territories),
        None,
        [],
    )


@st.composite
def segmented(draw: st.DrawFn) -> tuple[list[dict[str, str | None]], dict[str, str], list[str]]:
    rows, aligned, territories = draw(alignments())
    values = st.sampled_from(["Enterprise", "enterprise", "SMB", "O'Hare", "", "  ", None])
    return [{**row, "segment": draw(values)} for row in rows], aligned, territories


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(segmented())
def test_the_real_engine_follows_segment_rules_too(case: Case) -> None:
    rows = case[0]
    result = draft_and_run(case, "segment")
    # A blank segment never makes a rule UNKNOWN; only a missing ZIP can.
    assert result.skipped_on_null <= sum(1 for r in rows if not r["postal_code"])


def test_a_state_goes_to_its_territory_when_that_makes_the_rules_shorter() -> None:
    ids = [f"A{i}" for i in range(8)]
    states = ["IL", "IL", "il", "IL", "WI", "WI", None, "IL"]
    zips = ["60601", "60602", "60603", "60604", "53202", None, "60601", None]
    aligned = ["T1", "T1", "T1", "T2", "T2", "T2", "T1", "T1"]
    drafted = draft_territories(ids, zips, aligned, [("T1", "r1"), ("T2", "r2")], states=states)
    t1, t2 = drafted
    # IL: 3 of its 4 ZIPs are T1's; writing IL less 60604 is shorter than listing three ZIPs.
    assert (t1.states, t1.zips_out, t1.blank_zips) == (["IL"], ["60604"], True)
    assert t1.zips == ["60601"]  # A6 has no state: its ZIP takes it
    assert t1.named == [] and t1.away == []
    # WI: one ZIP and one account without: `state IN ('WI')` is as short as it gets.
    assert (t2.states, t2.zips_out, t2.zips) == (["WI"], [], ["60604"])
    assert drafted_rule(t1, "postal_code", state_field="state") == [
        "(state IN ('IL')",
        "AND (postal_code IS NULL",
        "OR postal_code NOT IN ('60604')))",
        "OR postal_code IN ('60601')",
    ]
    assert drafted_rule(t2, "postal_code", state_field="state") == [
        "state IN ('WI')",
        "OR postal_code IN ('60604')",
    ]
    rows = [
        {"account_id": a, "postal_code": z, "state": s} for a, z, s in zip(ids, zips, states, strict=True)
    ]
    text = draft_plan_text(drafted, "postal_code", state_field="state")
    assert "fields: {state: string, postal_code: string}" in text
    assert winners(run_plan(text, rows)) == dict(zip(ids, aligned, strict=True))


def test_a_state_split_evenly_stays_with_its_zip_codes() -> None:
    drafted = draft_territories(
        ["a", "b"], ["60601", "60602"], ["T1", "T2"], [("T1", None), ("T2", None)], states=["IL", "IL"]
    )
    assert [t.states for t in drafted] == [[], []]
    assert [t.zips for t in drafted] == [["60601"], ["60602"]]


def test_without_zip_codes_states_and_ids_carry_the_rules() -> None:
    ids = ["a", "b", "c", "d", "e"]
    drafted = draft_territories(
        ids, None, ["T1", "T1", "T1", "T2", "T2"], [("T1", None), ("T2", None)], states=["TX"] * 4 + ["OK"]
    )
    t1, t2 = drafted
    assert (t1.states, t1.away, t1.named) == (["TX"], ["d"], [])
    assert (t2.states, t2.named) == ([], ["d", "e"])  # OK has one account: naming it is shorter
    assert drafted_rule(t1, None, state_field="state") == ["state IN ('TX')", "AND account_id NOT IN ('d')"]


@st.composite
def with_states(draw: st.DrawFn) -> tuple[list[dict[str, str | None]], dict[str, str], list[str]]:
    rows, aligned, territories = draw(segmented())
    # ZIP codes that cross state lines, states in two spellings of case, and none.
    values = st.sampled_from(["NY", "ny", "NJ", "MA", None])
    return [{**row, "state": draw(values)} for row in rows], aligned, territories


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(with_states(), st.booleans())
def test_the_real_engine_follows_state_rules_too(case: Case, split: bool) -> None:
    draft_and_run(case, "segment" if split else None, "state")
