"""`territorial assign --engine local|duckdb|spark` and `territorial spark-job`: Parquet in (a file,
a folder, a glob), Parquet out."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from conftest import EXAMPLE_PLAN, run_cli, run_process
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
        (["--engine", "hadoop"], "no engine 'hadoop': expected one of local, duckdb, spark"),
        (["--engine", "duckdb", "--spark-master", "local[1]"], "--spark-master goes with --engine spark"),
        (["--spark-master", "local[1]"], "--spark-master goes with --engine"),
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


def test_spark_without_pyspark_says_how_to_install_it(
    files: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PySpark is an optional extra: without it, `--engine spark` names the extra (exit 2)."""
    plan, folder = files
    monkeypatch.setitem(sys.modules, "pyspark", None)  # `import pyspark` fails as when not installed
    out = tmp_path / "o.parquet"
    result = run_cli(tmp_path, "assign", plan, "--accounts", folder, "--out", out, "--engine", "spark")
    assert result.returncode == 2, result.stderr
    said = " ".join(result.stderr.split())
    assert "needs PySpark" in said and "territorial[spark]" in said
    assert not out.exists()


def local_rows(files: tuple[Path, Path], tmp_path: Path) -> pl.DataFrame:
    """The local engine's rows for the files, which Spark's must equal."""
    plan, folder = files
    local = tmp_path / "local.parquet"
    result = run_cli(tmp_path, "assign", plan, "--accounts", folder, "--out", local, "--engine", "local")
    assert result.returncode == 0, result.stderr
    return pl.read_parquet(local)


@pytest.mark.slow
def test_spark_writes_the_local_engines_rows_under_a_turkish_jvm(
    files: tuple[Path, Path], tmp_path: Path
) -> None:
    """The real command on Spark, in a JVM whose locale lower-cases 'I' to a dotless 'ı': the rows
    are the local engine's, as the rules read text lowered by Python."""
    plan, folder = files
    local = local_rows(files, tmp_path)
    out = tmp_path / "spark.parquet"
    env = {**os.environ, "COLUMNS": "200", "JAVA_TOOL_OPTIONS": "-Duser.language=tr -Duser.country=TR"}
    command = [sys.executable, "-m", "territorial.cli.main", "assign", str(plan), "--accounts", str(folder)]
    command += ["--out", str(out), "--engine", "spark", "--spark-master", "local[1]"]
    result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, env=env, timeout=600)
    assert result.returncode == 0, result.stderr
    assert "4 accounts: 1 in no primary territory" in result.stderr
    assert_frame_equal(pl.read_parquet(out), local)


@pytest.mark.slow
def test_spark_submit_runs_the_spark_job(files: tuple[Path, Path], tmp_path: Path) -> None:
    """spark-submit (PySpark's own) runs territorial/spark_job.py; a URI output is written by
    Spark itself, a folder of files in account_id and layer order."""
    plan, folder = files
    local = local_rows(files, tmp_path)
    job = run_process(tmp_path, "spark-job", "--help")
    assert job.returncode == 0 and "spark-submit" in job.stdout
    found = subprocess.run(
        [sys.executable, "-m", "territorial.spark_job", "--path"], capture_output=True, text=True, check=True
    )
    script = found.stdout.strip()
    assert script.endswith("spark_job.py")
    submit = Path(sys.executable).parent / "spark-submit"
    out = tmp_path / "submitted"
    env = {**os.environ, "PYSPARK_PYTHON": sys.executable, "SPARK_LOCAL_IP": "127.0.0.1"}
    command = [str(submit), "--master", "local[1]", script, str(plan), "--accounts", f"{folder}/*.parquet"]
    command += ["--out", out.as_uri()]
    result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, env=env, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    # spark-submit's launcher sends the Python driver's stderr to its own stdout.
    assert "wrote 6 rows" in " ".join((result.stdout + result.stderr).split())
    written = pl.read_parquet(sorted(out.glob("part-*.parquet")))
    assert_frame_equal(written, local)
