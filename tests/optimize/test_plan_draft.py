"""Draft plans from an alignment: the rules, their layout, and the round trip through the real engine."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import run_plan, winners
from territorial.io.plan_file import parse_plan
from territorial.optimize.plan_draft import WIDTH, draft_plan_yaml, draft_territories, rule_lines
from territorial.services.assign import assign_files


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
    assert rule_lines(by_id["T1"], "postal_code") == [
        "(postal_code IN ('10001')",
        "AND account_id NOT IN ('A3'))",
        "OR account_id IN ('A5')",
    ]
    assert rule_lines(by_id["T3"], "postal_code") == ["account_id IS NULL"]


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
    text = draft_plan_yaml(drafted, "postal_code", workload="employees")
    assert text == draft_plan_yaml(
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


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(alignments())
def test_the_real_engine_puts_every_account_where_the_alignment_did(
    case: tuple[list[dict[str, str | None]], dict[str, str], list[str]],
) -> None:
    rows, aligned, territories = case
    ids = [str(r["account_id"]) for r in rows]
    drafted = draft_territories(
        ids,
        [r["postal_code"] for r in rows],
        [aligned[a] for a in ids],
        [(t, f"rep-{t}") for t in territories],
    )
    result = run_plan(draft_plan_yaml(drafted, "postal_code"), rows)
    assert winners(result) == aligned
    assert not result.rows["tie"].any()
    assert result.rows["overlaps"].fill_null("").eq("").all()


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
    (tmp_path / "plan.yaml").write_text(draft_plan_yaml(drafted, "postal_code", workload="employees"))
    run = assign_files(tmp_path / "plan.yaml", accounts)
    rows = run.assignment.rows.filter(pl.col("layer") == "primary").sort("account_id")
    assert dict(zip(rows["account_id"], rows["territory_id"], strict=True)) == aligned
    assert rows["rep_id"].to_list() == ["r1", "r1", "r2", "r2", "r1", "r2"]
