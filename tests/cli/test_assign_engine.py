"""`territorial assign --engine local|duckdb`: Parquet in (a file, a folder, a glob), Parquet out."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from conftest import EXAMPLE_PLAN, run_cli
from territorial.domain.assignment import RESULT_COLUMNS

ACCOUNTS = [
    ("A-2", "US", "NY", "Healthcare", 5000.0, False, "Security", "rep-003"),
    ("A-1", "US", "TX", "Retail", 10.0, False, None, None),
    ("A-3", "DE", None, "Retail", 10.0, False, "cloud;SECURITY", "rep-900"),
    ("A-4", "US", "NY", "Healthcare", 2000.0, False, None, None),
]


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    plan = tmp_path / "plan.yaml"
    plan.write_text(EXAMPLE_PLAN, encoding="utf-8")
    folder = tmp_path / "accounts"
    folder.mkdir()
    columns = ["account_id", "country", "state", "industry", "employees", "strategic", "products", "owner_id"]
    frame = pl.DataFrame(ACCOUNTS, schema=columns, orient="row")
    frame.head(2).write_parquet(folder / "one.parquet")
    frame.tail(2).write_parquet(folder / "two.parquet")
    return plan, folder


def test_both_engines_write_the_same_sorted_parquet(files: tuple[Path, Path], tmp_path: Path) -> None:
    plan, folder = files
    written = {}
    for engine in ("local", "duckdb"):
        out = tmp_path / f"{engine}.parquet"
        result = run_cli(tmp_path, "assign", plan, "--accounts", folder, "--out", out, "--engine", engine)
        assert result.returncode == 0, result.stderr
        assert "4 accounts: 1 in no primary territory" in result.stderr
        written[engine] = pl.read_parquet(out)
    assert_frame_equal(written["duckdb"], written["local"])
    rows = written["duckdb"]
    assert rows.columns == RESULT_COLUMNS
    assert rows.select("account_id", "layer").rows() == [
        ("A-1", "primary"),
        ("A-2", "primary"),
        ("A-2", "security"),
        ("A-3", "primary"),
        ("A-3", "security"),
        ("A-4", "primary"),
    ]


def test_a_glob_and_a_folder_of_files(files: tuple[Path, Path], tmp_path: Path) -> None:
    plan, folder = files
    out = tmp_path / "rows"
    result = run_cli(
        tmp_path,
        "assign",
        plan,
        "--accounts",
        f"{folder}/*.parquet",
        "--out",
        out,
        "--engine",
        "duckdb",
        "--memory-limit",
        "512MB",
    )
    assert result.returncode == 0, result.stderr
    parts = sorted(p.name for p in out.iterdir())
    assert parts and all(name.startswith("part-") and name.endswith(".parquet") for name in parts)
    assert pl.read_parquet(out / "*.parquet").height == 6


@pytest.mark.parametrize(
    ("extra", "said"),
    [
        (["--engine", "spark"], "no engine 'spark': expected one of local, duckdb"),
        (["--engine", "duckdb", "--memory-limit", "lots"], "expected a size such as 4GB"),
        (["--engine", "local", "--memory-limit", "4GB"], "--memory-limit bounds the duckdb engine"),
        (["--engine", "duckdb", "--reps", "reps.csv"], "--reps is not available with --engine"),
        (["--engine", "duckdb", "--partition-by", "city"], "cannot partition by 'city'"),
        (["--memory-limit", "4GB"], "--memory-limit goes with --engine"),
    ],
)
def test_bad_options_exit_2_with_the_option_named(
    files: tuple[Path, Path], tmp_path: Path, extra: list[str], said: str
) -> None:
    plan, folder = files
    result = run_cli(tmp_path, "assign", plan, "--accounts", folder, "--out", tmp_path / "o.parquet", *extra)
    assert result.returncode == 2, result.stderr
    assert said in " ".join(result.stderr.split())


def test_a_csv_is_refused_by_name(files: tuple[Path, Path], tmp_path: Path) -> None:
    plan, _folder = files
    csv = tmp_path / "accounts.csv"
    csv.write_text("account_id\nA-1\n", encoding="utf-8")
    result = run_cli(
        tmp_path, "assign", plan, "--accounts", csv, "--out", tmp_path / "o.parquet", "--engine", "duckdb"
    )
    assert result.returncode == 2
    assert "--engine reads Parquet" in result.stderr and "accounts.csv" in result.stderr


@pytest.mark.parametrize("engine", ["local", "duckdb"])
def test_a_bad_value_names_the_file_the_column_and_the_value(tmp_path: Path, engine: str) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text(
        "name: x\nfields: {employees: number}\nterritories:\n  - id: BIG\n    rule: employees > 10\n",
        encoding="utf-8",
    )
    accounts = tmp_path / "bad.parquet"
    pl.DataFrame({"account_id": ["c", "a", "b"], "employees": ["5", "20", "many"]}).write_parquet(accounts)
    result = run_cli(
        tmp_path, "assign", plan, "--accounts", accounts, "--out", tmp_path / "o.parquet", "--engine", engine
    )
    assert result.returncode == 2
    assert "bad.parquet" in result.stderr and "[employees]" in result.stderr
    assert "expected a number such as 1200 or 3.5, got 'many'" in result.stderr
