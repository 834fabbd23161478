"""`territorial balance` through the real CLI: files in, alignment and report out, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl

from conftest import run_cli

BAD_INPUT = 2


def write_units(folder: Path, n_side: int = 8) -> Path:
    """A grid of units with two activities; the edges file joins grid neighbours."""
    rng = np.random.default_rng(5)
    rows = ["id,x,y,calls,revenue"]
    edges = ["a,b"]
    for x in range(n_side):
        for y in range(n_side):
            rows.append(f"U{x}-{y},{x},{y},{rng.integers(5, 15)},{rng.integers(50, 150)}")
            if x + 1 < n_side:
                edges.append(f"U{x}-{y},U{x + 1}-{y}")
            if y + 1 < n_side:
                edges.append(f"U{x}-{y},U{x}-{y + 1}")
    (folder / "units.csv").write_text("\n".join(rows) + "\n")
    (folder / "edges.csv").write_text("\n".join(edges) + "\n")
    return folder / "units.csv"


def write_accounts(folder: Path) -> None:
    """Twelve accounts on real ZIP codes (no coordinates), owned by three reps."""
    zips = [
        "10001",
        "10002",
        "10003",
        "11201",
        "07030",
        "07302",
        "19103",
        "19104",
        "02134",
        "02139",
        "06510",
        "06511",
    ]
    lines = ["account_id,postal_code,employees,owner_id,strategic"]
    for i, code in enumerate(zips):
        lines.append(f"A-{i + 1:02d},{code},{10 + i},rep-{i % 3 + 1},{'true' if i == 0 else 'false'}")
    (folder / "accounts.csv").write_text("\n".join(lines) + "\n")
    (folder / "reps.csv").write_text(
        "rep_id,lat,lon,capacity,skills\n"
        "rep-1,40.75,-73.99,1.0,\n"
        "rep-2,39.95,-75.16,1.0,\n"
        "rep-3,42.36,-71.06,1.0,\n"
    )


def test_units_with_edges_two_metrics_contiguous_and_report(tmp_path: Path) -> None:
    write_units(tmp_path)
    result = run_cli(
        tmp_path,
        *("balance", "--units", "units.csv", "--edges", "edges.csv", "--k", "4", "--contiguous"),
        *("--workload", "calls", "--metric", "calls=0.1", "--metric", "revenue=0.15"),
        *("--out", "alignment.csv", "--report", "report.json", "--seed", "1"),
    )
    assert result.returncode == 0, result.stderr
    alignment = pl.read_csv(tmp_path / "alignment.csv")
    assert alignment.columns == ["id", "territory_id", "rep_id", "moved"]
    assert alignment.height == 64
    assert alignment["id"].to_list() == sorted(alignment["id"].to_list())
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["totals"]["within_tolerance"] == 4
    assert report["totals"]["contiguous"] == 4
    assert report["totals"]["bound"] <= report["totals"]["cost"]
    first = report["territories"][0]
    assert set(first["metrics"]) >= {"calls", "revenue", "workload"}
    assert abs(first["metrics"]["calls"]["deviation"]) <= 0.1
    assert "Balance by territory" in result.stderr
    assert "4/4 within tolerance, 4/4 contiguous" in result.stderr


def test_same_seed_gives_byte_identical_alignment(tmp_path: Path) -> None:
    write_units(tmp_path)
    args = (
        "balance",
        "--units",
        "units.csv",
        "--edges",
        "edges.csv",
        "--k",
        "5",
        "--contiguous",
        "--seed",
        "3",
    )
    first = run_cli(tmp_path, *args, "--out", "one.csv")
    second = run_cli(tmp_path, *args, "--out", "two.csv")
    assert first.returncode == second.returncode == 0
    assert (tmp_path / "one.csv").read_bytes() == (tmp_path / "two.csv").read_bytes()


def test_accounts_on_zip_codes_with_reps_locks_and_a_move_budget(tmp_path: Path) -> None:
    write_accounts(tmp_path)
    result = run_cli(
        tmp_path,
        *("balance", "--accounts", "accounts.csv", "--reps", "reps.csv", "--metric", "accounts=0.0"),
        *("--lock", "strategic = TRUE", "--max-moves", "0.5", "--out", "alignment.csv", "--report", "r.json"),
    )
    assert result.returncode == 0, result.stderr
    alignment = pl.read_csv(tmp_path / "alignment.csv")
    assert alignment.filter(pl.col("id") == "A-01")["rep_id"].item() == "rep-1"  # locked
    assert alignment.group_by("rep_id").len()["len"].to_list() == [4, 4, 4]
    totals = json.loads((tmp_path / "r.json").read_text())["totals"]
    assert totals["moved"] <= 6
    assert totals["min_moves_lp"] <= totals["moved"]
    assert "compactness_km" in json.loads((tmp_path / "r.json").read_text())["territories"][0]


def test_infeasible_tolerance_exits_2_naming_the_account(tmp_path: Path) -> None:
    (tmp_path / "accounts.csv").write_text(
        "account_id,lat,lon,calls\nA-1,40.7,-74.0,1\nA-2,40.8,-74.1,1\nA-17,40.9,-74.2,30\n"
    )
    result = run_cli(
        tmp_path,
        "balance",
        "--accounts",
        "accounts.csv",
        "--k",
        "2",
        "--workload",
        "calls",
        "--metric",
        "workload=0.01",
    )
    assert result.returncode == BAD_INPUT
    assert (
        "tolerance ±1% impossible: account A-17 alone is 187.5% of a territory's workload target"
        in result.stderr
    )


def test_bad_inputs_exit_2_with_file_line_and_field(tmp_path: Path) -> None:
    (tmp_path / "accounts.csv").write_text("account_id,lat,lon,calls\nA-1,40.7,-74.0,1\nA-2,,-74.1,2\n")
    result = run_cli(tmp_path, "balance", "--accounts", "accounts.csv", "--k", "2")
    assert result.returncode == BAD_INPUT
    assert "accounts.csv:3 [lat]: lat is empty" in result.stderr

    (tmp_path / "ok.csv").write_text("account_id,lat,lon,calls\nA-1,40.7,-74.0,1\nA-2,40.8,-74.1,-2\n")
    result = run_cli(tmp_path, "balance", "--accounts", "ok.csv", "--k", "2", "--workload", "calls")
    assert result.returncode == BAD_INPUT
    assert "ok.csv:3 [calls]: calls must be a non-negative number" in result.stderr

    result = run_cli(tmp_path, "balance", "--accounts", "ok.csv", "--k", "2", "--workload", "cals")
    assert result.returncode == BAD_INPUT
    assert "did you mean 'calls'?" in result.stderr

    (tmp_path / "reps.csv").write_text("rep_id,capacity\nr1,1\nr2,0\n")
    result = run_cli(tmp_path, "balance", "--accounts", "ok.csv", "--reps", "reps.csv")
    assert result.returncode == BAD_INPUT
    assert "reps.csv:3 [capacity]: capacity must be a positive number" in result.stderr

    write_units(tmp_path)
    (tmp_path / "edges.csv").write_text("a,b\nU0-0,U0-1\nU0-1,U9-9\n")
    result = run_cli(tmp_path, "balance", "--units", "units.csv", "--edges", "edges.csv", "--k", "2")
    assert result.returncode == BAD_INPUT
    assert "edges.csv:3 [b]: 'U9-9' is not a unit id" in result.stderr

    result = run_cli(tmp_path, "balance", "--units", "units.csv", "--k", "2", "--metric", "calls")
    assert result.returncode == BAD_INPUT
    assert "expected NAME=TOLERANCE" in result.stderr
