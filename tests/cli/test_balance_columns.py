"""What `--metric NAME` balances: a column of that name always; the count only when asked for
(`count`, or `@count` beside a count column; `accounts`/`units` with no such column, deprecated);
the default workload is never a coordinate. And `--best-effort` always writes an alignment."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from conftest import run_cli

BAD_INPUT = 2


def write_grid(folder: Path, **columns: list[float]) -> None:
    """36 units on a 6×6 lat/lon grid with the given activity columns."""
    ids = [f"U{i:02d}" for i in range(36)]
    lat = [40.0 + 0.1 * (i // 6) for i in range(36)]
    lon = [-90.0 + 0.1 * (i % 6) for i in range(36)]
    pl.DataFrame({"id": ids, "latitude": lat, "longitude": lon, **columns}).write_csv(folder / "units.csv")


def balance(folder: Path, *args: str) -> tuple[int, str, dict[str, Any]]:
    result = run_cli(
        folder, "balance", "--units", "units.csv", "--k", "3", "--report", "r.json", "--out", "a.csv", *args
    )
    report = json.loads((folder / "r.json").read_text()) if result.returncode == 0 else {}
    return result.returncode, result.stderr, report


def totals_of(folder: Path, column: str) -> list[float]:
    alignment = pl.read_csv(folder / "a.csv").join(pl.read_csv(folder / "units.csv"), on="id")
    return alignment.group_by("territory_id").agg(pl.col(column).sum()).sort("territory_id")[column].to_list()


def test_a_column_named_accounts_is_that_column(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    accounts = rng.integers(1, 40, 36).astype(float).tolist()
    write_grid(tmp_path, calls=[1.0] * 36, accounts=accounts)
    code, stderr, report = balance(tmp_path, "--metric", "accounts=0.1")
    assert code == 0, stderr
    assert report["metrics"]["accounts"] == {"source": "column", "from": "accounts"}
    target = sum(accounts) / 3
    assert all(abs(v / target - 1) <= 0.1 + 1e-9 for v in totals_of(tmp_path, "accounts"))
    assert "deprecated" not in stderr


def test_count_is_asked_for_by_name_and_at_count_beside_a_count_column(tmp_path: Path) -> None:
    write_grid(tmp_path, calls=[1.0] * 36, count=[float(i % 5) for i in range(36)])
    code, stderr, report = balance(tmp_path, "--metric", "@count=0.0")
    assert code == 0, stderr
    assert report["metrics"]["@count"]["source"] == "count"
    assert pl.read_csv(tmp_path / "a.csv").group_by("territory_id").len()["len"].to_list() == [12, 12, 12]
    code, stderr, report = balance(tmp_path, "--metric", "count=0.2")
    assert code == 0, stderr
    assert report["metrics"]["count"] == {"source": "column", "from": "count"}


def test_accounts_without_such_a_column_is_the_count_with_a_warning(tmp_path: Path) -> None:
    write_grid(tmp_path, calls=[1.0] * 36)
    code, stderr, report = balance(tmp_path, "--metric", "units=0.0", "--metric", "count=0.0")
    assert code == 0, stderr
    assert report["metrics"]["units"]["source"] == report["metrics"]["count"]["source"] == "count"
    assert "deprecated" in stderr and "--metric count=" in stderr
    assert any("deprecated" in w for w in report["warnings"])


def test_an_unknown_metric_is_refused_with_the_closest_name(tmp_path: Path) -> None:
    write_grid(tmp_path, calls=[1.0] * 36, revenue=[2.0] * 36)
    code, stderr, _ = balance(tmp_path, "--metric", "revenu=0.05")
    assert code == BAD_INPUT
    assert "revenue" in stderr


def test_the_default_workload_is_no_coordinate_and_is_reported_as_the_weight(tmp_path: Path) -> None:
    write_grid(tmp_path, calls=[float(1 + i % 3) for i in range(36)])
    code, stderr, report = balance(tmp_path)
    assert code == 0, stderr
    assert report["totals"]["weight"] == "calls"
    assert report["metrics"]["workload"] == {"source": "workload", "from": "calls"}
    write_grid(tmp_path, revenue=[1.0] * 36, workload=[float(1 + i % 4) for i in range(36)])
    code, stderr, report = balance(tmp_path, "--metric", "revenue=0.1")
    assert code == 0, stderr
    assert report["totals"]["weight"] == "workload"  # the workload column, not the first one


def test_expressions_are_reported_as_expressions(tmp_path: Path) -> None:
    write_grid(tmp_path, calls=[1.0] * 36, revenue=[float(i) for i in range(36)])
    code, stderr, report = balance(tmp_path, "--metric", "calls + revenue=0.2")
    assert code == 0, stderr
    assert report["metrics"]["calls + revenue"] == {"source": "expression", "from": "calls + revenue"}


def test_best_effort_writes_the_closest_alignment_when_one_unit_exceeds_the_target(tmp_path: Path) -> None:
    calls = [1.0] * 36
    calls[20] = 60.0  # 60 of 95: more than a territory's whole target of 31.7
    write_grid(tmp_path, calls=calls)
    code, stderr, _ = balance(tmp_path, "--metric", "calls=0.05")
    assert code == BAD_INPUT
    assert "U20" in stderr
    code, stderr, report = balance(tmp_path, "--metric", "calls=0.05", "--best-effort", "--contiguous")
    assert code == 0, stderr
    assert "warning" in stderr and "outside their tolerance" in stderr
    alignment = pl.read_csv(tmp_path / "a.csv")
    alone = alignment.filter(pl.col("id") == "U20")["territory_id"].item()
    assert (
        "1 territory holds only units too large to share a territory within tolerance: "
        f"{alone} U20 (189% of its calls target)" in stderr
    )
    assert alignment.filter(pl.col("territory_id") == alone).height == 1  # a territory of its own
    assert f"1 of 3 territories is outside their tolerance: {alone} " in stderr
    assert "time limit" not in stderr  # the search ended; more time would not help
    others = [t for t in report["territories"] if t["territory_id"] != alone]
    # The other two share the rest (35), each on its own target of 17.5, within the ±5% asked.
    assert [t["metrics"]["calls"]["target"] for t in others] == [17.5, 17.5]
    assert all(t["within_tolerance"] for t in others)
    assert report["totals"]["within_tolerance"] == 2
    assert report["territories"][0]["metrics"]["calls"]["tolerance"] == 0.05


def test_best_effort_keeps_hard_constraints(tmp_path: Path) -> None:
    """A skill no rep holds is not a tolerance: --best-effort still exits 2 and names it."""
    (tmp_path / "accounts.csv").write_text(
        "account_id,lat,lon,calls,skills\nA-1,40.7,-74.0,1,\nA-2,40.8,-74.1,1,Spanish\nA-3,40.9,-74.2,1,\n"
    )
    (tmp_path / "reps.csv").write_text("rep_id,lat,lon\nr1,40.7,-74.0\nr2,40.9,-74.2\n")
    result = run_cli(
        tmp_path,
        "balance",
        "--accounts",
        "accounts.csv",
        "--reps",
        "reps.csv",
        "--workload",
        "calls",
        "--best-effort",
    )
    assert result.returncode == BAD_INPUT
    assert "spanish" in result.stderr.lower() and "no rep" in result.stderr
