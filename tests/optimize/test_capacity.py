"""Headcount and the work index, on examples small enough to compute by hand."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from territorial.domain.work_index import WorkIndex, segment_key
from territorial.errors import BadInput
from territorial.io.work_index import read_work_index
from territorial.optimize.capacity import headcount, reps_needed, scenario
from territorial.optimize.problem import Units


def test_reps_needed_is_the_ceiling_of_hours_over_usable_hours() -> None:
    assert reps_needed(0, 1600, 0.8) == 0
    assert reps_needed(1280, 1600, 0.8) == 1  # exactly one rep's 1,280 usable hours
    assert reps_needed(1280.01, 1600, 0.8) == 2
    assert reps_needed(1600, 2000, 0.8) == 1  # 2000 × 0.8 is not quite 1600 in floating point
    assert reps_needed(2000, 1000, 0.8) == 3  # 2.5 → 3


def test_headcount_by_group_by_hand() -> None:
    # At 1,000 h × 0.8 a rep carries 800 h. East: 500 + 700 = 1,200 h → 1.5 FTE → 2 reps, owned by
    # r1 and r2. West: 1,700 h → 2.125 → 3 reps, owned by r1. No region: 10 h → 1 rep, no owner.
    result = headcount(
        pl.DataFrame({"region": ["East", "East", "West", None]}),
        np.array([500.0, 700.0, 1700.0, 10.0]),
        ["r1", "r2", "r1", None],
        hours_per_rep=1000,
        utilisation=0.8,
    )
    assert result.table.to_dicts() == [
        {
            "region": "(none)",
            "accounts": 1,
            "workload_hours": 10.0,
            "fte": 0.0125,
            "reps_needed": 1,
            "current_reps": 0,
        },
        {
            "region": "East",
            "accounts": 2,
            "workload_hours": 1200.0,
            "fte": 1.5,
            "reps_needed": 2,
            "current_reps": 2,
        },
        {
            "region": "West",
            "accounts": 1,
            "workload_hours": 1700.0,
            "fte": 2.125,
            "reps_needed": 3,
            "current_reps": 1,
        },
    ]
    assert (result.accounts, result.workload_hours) == (4, 2910.0)
    assert result.reps_needed == 6  # each group staffed on its own
    assert result.pooled_reps == 4  # ceil(2,910 / 800)
    assert result.current_reps == 2


def test_headcount_without_groups_or_owners() -> None:
    result = headcount(pl.DataFrame(), np.array([400.0, 400.0, 4.0]), None, 800, 1.0)
    assert result.table.columns == ["accounts", "workload_hours", "fte", "reps_needed"]
    assert result.table.row(0) == (3, 804.0, 1.005, 2)
    assert result.current_reps is None


def test_bad_capacity_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="utilisation"):
        headcount(pl.DataFrame(), np.ones(1), None, 1000, 1.5)
    with pytest.raises(ValueError, match="hours per rep"):
        headcount(pl.DataFrame(), np.ones(1), None, 0, 0.8)


def test_work_index_hours_by_hand() -> None:
    index = WorkIndex()
    hours = index.hours(["enterprise", "smb", "mid-market"], np.array([10.0, np.nan, 1000.0]))
    # enterprise, home 10 km away: travel 2 × 10 km × 1.3 / 50 km/h = 0.52 h = 31.2 min;
    #   12 visits × (90 + 31.2) min = 1,454.4 min = 24.24 h.
    # smb, home unknown: 2 visits × (45 + 30) min = 150 min = 2.5 h.
    # mid-market, 1,000 km: the drive (2,600 km) is capped at a day (480 min): 6 × (60 + 480) = 54 h.
    assert hours == pytest.approx([24.24, 2.5, 54.0])


def test_segments_by_employee_count_and_by_name() -> None:
    index = WorkIndex()
    assert index.segment_by_employees(np.array([5000, 1000, 999, 100, 99, np.nan])) == [
        "enterprise",
        "enterprise",
        "mid-market",
        "mid-market",
        "smb",
        "smb",
    ]
    assert [segment_key(s) for s in ["Mid Market", "SMB", " Enterprise ", "mid_market"]] == [
        "mid-market",
        "smb",
        "enterprise",
        "mid-market",
    ]
    assert index.unknown_segment(["smb", "strategic"]) == 1


def test_work_index_file_overrides_and_adds_segments(tmp_path: Path) -> None:
    path = tmp_path / "work.yaml"
    path.write_text(
        "speed_kmh: 80\n"
        "segments:\n"
        "  Enterprise: {visits_per_year: 24}\n"
        "  strategic: {visits_per_year: 52, call_minutes: 120, travel_minutes: 90}\n"
    )
    index = read_work_index(path)
    assert index.speed_kmh == 80
    assert index.segments["enterprise"].visits_per_year == 24
    assert index.segments["enterprise"].call_minutes == 90  # kept from the defaults
    assert index.hours(["strategic"], np.array([np.nan])) == pytest.approx([52 * 210 / 60])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("segments:\n  smb: {call_minute: 3}\n", "work.yaml:2:9: unknown key 'call_minute'"),
        ("segments:\n  strategic: {visits_per_year: 4}\n", "work.yaml:2 [strategic]: a new segment needs"),
        ("speed_kmh: fast\n", "work.yaml:1:1: speed_kmh: input should be a valid number"),
        ("segments: [\n", "work.yaml:2:1: YAML syntax error"),
        ("employee_bands: {smb: 10}\n", "work.yaml:1: employee_bands needs a segment starting at 0"),
    ],
)
def test_bad_work_index_files_name_file_and_line(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "work.yaml"
    path.write_text(text)
    with pytest.raises(BadInput) as caught:
        read_work_index(path)
    assert str(caught.value).replace(str(tmp_path) + "/", "").startswith(expected)


def test_a_work_index_file_not_in_utf8_names_the_first_bad_byte(tmp_path: Path) -> None:
    path = tmp_path / "work.yaml"
    path.write_bytes("segments:\n  caf\u00e9: {visits_per_year: 4}\n".encode("cp1252"))
    with pytest.raises(BadInput) as caught:
        read_work_index(path)
    assert (
        str(caught.value).replace(str(tmp_path) + "/", "").startswith("work.yaml:2:6: byte 0xe9 is not UTF-8")
    )


def test_scenario_balance_and_compactness_by_hand() -> None:
    # Two territories on a line: {0, 2} with workload 1 + 1 and {10} with workload 3. Equal shares
    # are 2.5: deviations -20% and +20%. The first territory's weighted median is anywhere between
    # 0 and 2 (total distance 2), the second's is its own point: mean distance 2 / 5 = 0.4.
    units = Units(
        ids=["a", "b", "c"],
        xy=np.array([[0.0, 0.0], [2.0, 0.0], [10.0, 0.0]]),
        geographic=False,
        metrics={"workload": np.array([1.0, 1.0, 3.0])},
    )
    result = scenario("test", units, np.array([0, 0, 1]), 2, hours_per_rep=2.0, tolerance=0.2)
    assert result.max_deviation == pytest.approx(0.2)
    assert result.within == 2
    assert result.mean_km == pytest.approx(0.4, abs=1e-3)
    assert result.utilisation == pytest.approx(5 / 4)
