"""`territorial score apply --engine`: a Parquet folder scored through the real CLI, and the options
that go with --engine refused (exit 2) where they do not apply."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from conftest import run_cli
from territorial.domain.choices import FitEstimator
from territorial.services.scoring import train_fit_model


@pytest.fixture(scope="module")
def model_and_leads(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("score-engine")
    rng = np.random.default_rng(5)
    n = 300
    visits = rng.poisson(5, n)
    leads = pl.DataFrame(
        {
            "lead_id": [f"L{i:04d}" for i in rng.permutation(n)],
            "visits": visits,
            "converted": (rng.random(n) < 1 / (1 + np.exp(-(visits - 5)))).astype(int),
        }
    )
    leads.write_csv(work / "history.csv")
    train_fit_model(work / "history.csv", "converted", [], work / "fit.model", FitEstimator.LOGISTIC)
    (work / "leads").mkdir()
    leads.drop("converted").write_parquet(work / "leads" / "part-0.parquet")
    return work


def test_score_apply_on_duckdb_writes_rows_sorted_by_id(model_and_leads: Path) -> None:
    work = model_and_leads
    result = run_cli(
        work, "score", "apply", "leads", "--model", "fit.model", "--out", "scored.parquet",
        "--engine", "duckdb", "--memory-limit", "1GB",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "scored 300 rows into scored.parquet (engine duckdb)" in result.stderr
    scored = pl.read_parquet(work / "scored.parquet")
    assert scored.columns == ["lead_id", "score", "grade", "reasons"]
    assert scored.get_column("lead_id").is_sorted()


@pytest.mark.parametrize(
    ("options", "said"),
    [
        (["--engine", "duckdb", "--mapping", "salesforce"], "--mapping is not available with --engine"),
        (["--partition-by", "grade"], "--partition-by goes with --engine"),
        (
            ["--engine", "duckdb", "--single-file", "--out", "scored.csv"],
            "give an --out ending in .parquet, or a folder",
        ),
        (["--engine", "duckdb", "--id", "account_id"], "there is no id column 'account_id'"),
    ],
)
def test_options_that_do_not_apply_are_refused(model_and_leads: Path, options: list[str], said: str) -> None:
    args = ["score", "apply", "leads", "--model", "fit.model", *options]
    if "--out" not in options:
        args += ["--out", "x.parquet"]
    result = run_cli(model_and_leads, *args)
    assert result.returncode == 2, result.stderr
    assert said in " ".join(result.stderr.split())


def test_a_file_without_a_column_the_model_reads_is_refused_before_scoring(model_and_leads: Path) -> None:
    work = model_and_leads
    pl.DataFrame({"lead_id": ["L1"], "source": ["Ads"]}).write_parquet(work / "other.parquet")
    result = run_cli(
        work,
        "score",
        "apply",
        "other.parquet",
        "--model",
        "fit.model",
        "--out",
        "o.parquet",
        "--engine",
        "duckdb",
    )
    assert result.returncode == 2
    assert "other.parquet: the column 'visits' that the model was trained on is missing" in result.stderr
    assert not (work / "o.parquet").exists()
