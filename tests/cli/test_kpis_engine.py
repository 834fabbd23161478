"""`territorial kpis --engine`: the book figures of an assignment file through the real CLI, and the
workspace's options refused with it (exit 2)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from conftest import run_cli


@pytest.fixture
def assignment(tmp_path: Path) -> Path:
    pl.DataFrame(
        {
            "account_id": ["A-1", "A-2", "A-3", "A-3"],
            "layer": ["primary", "primary", "primary", "overlay"],
            "territory_id": ["WEST", "WEST", None, "O-1"],
            "rep_id": ["ann", "ann", None, "bob"],
            "overlaps": ["EAST", "", "", ""],
            "tie": [True, False, False, False],
            "workload": [1.5, 2.25, 1.0, 1.0],
        }
    ).write_parquet(tmp_path / "assignments.parquet")
    return tmp_path


def test_kpis_by_territory_of_an_assignment_file(assignment: Path) -> None:
    result = run_cli(
        assignment, "kpis", "--engine", "duckdb", "--assignments", "assignments.parquet",
        "--by", "territory", "--out", "kpis.parquet",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "wrote 2 rows to kpis.parquet (engine duckdb)" in result.stderr
    assert pl.read_parquet(assignment / "kpis.parquet").rows() == [
        ("WEST", 2, 3.75, 1, 1),
        ("(no territory)", 1, 1.0, 0, 0),
    ]


@pytest.mark.parametrize(
    ("options", "said"),
    [
        (["--engine", "duckdb", "--run", "1"], "--run reads the workspace; --engine reads --assignments"),
        (["--engine", "duckdb"], "give --engine, --assignments and --out"),
        (["--engine", "duckdb", "--by", "team"], "not 'team'"),
        (["--spark-master", "local[1]"], "--spark-master goes with --engine spark"),
        (["--engine", "duckdb", "--out", "k.csv"], "give an --out ending in .parquet"),
    ],
)
def test_options_that_do_not_go_with_an_engine_are_refused(
    assignment: Path, options: list[str], said: str
) -> None:
    args = ["kpis", *options]
    if "--run" not in options and options != ["--engine", "duckdb"] and "--spark-master" not in options:
        args += ["--assignments", "assignments.parquet"]
        args += [] if "--out" in options else ["--out", "k.parquet"]
    result = run_cli(assignment, *args)
    assert result.returncode == 2, result.stderr
    assert said in " ".join(result.stderr.split())
