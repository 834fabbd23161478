"""`score apply --engine local|duckdb|spark` gives `score apply`'s own rows, byte for byte: the same
score, grade and reasons for every row, sorted by id, however the engine batches the rows.
Spark's case is slow (a JVM): `make test-slow` runs it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from territorial.backends import score_batches
from territorial.domain.choices import FitEstimator
from territorial.errors import BadInput
from territorial.progress import silent
from territorial.services.scale_score import score_at_scale
from territorial.services.scoring import apply_fit_model, train_fit_model

ENGINES = ["local", "duckdb", pytest.param("spark", marks=pytest.mark.slow)]
ROWS = 2_000


def leads(n: int, seed: int) -> pl.DataFrame:
    """Leads with a signal in visits and source, text beyond ASCII, gaps in an integer column (a
    reader that turns it into floats would describe it otherwise) and a date."""
    rng = np.random.default_rng(seed)
    visits = rng.poisson(5, n)
    source = rng.choice(["Referral", "Ads", "Organic", "Événement", "İstanbul fair"], n)
    employees = [None if rng.random() < 0.2 else int(v) for v in rng.integers(1, 5000, n)]
    chance = 1 / (1 + np.exp(-(visits - 5) * 0.8 - (source == "Referral") * 1.5))
    return pl.DataFrame(
        {
            "lead_id": [f"L{i:05d}" for i in rng.permutation(n)],
            "visits": visits,
            "source": source,
            "employees": pl.Series(employees, dtype=pl.Int64),
            "created": [
                f"2026-{m:02d}-{d:02d}"
                for m, d in zip(rng.integers(1, 13, n), rng.integers(1, 29, n), strict=True)
            ],
            "converted": (rng.random(n) < chance).astype(int),
        }
    )


@pytest.fixture(scope="module")
def scored_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, pl.DataFrame]:
    """A trained model; the rows to score as one file and as a folder of two; and `score apply`'s
    rows for the one file, sorted by id as an engine writes them."""
    work = tmp_path_factory.mktemp("score")
    leads(600, seed=1).write_csv(work / "history.csv")
    model = work / "fit.model"
    train_fit_model(work / "history.csv", "converted", [], model, FitEstimator.LOGISTIC)
    rows = leads(ROWS, seed=2).drop("converted")
    rows = rows.vstack(rows.head(5))  # a repeated id is ordered by the rest of its row
    rows.write_parquet(work / "leads.parquet")
    (work / "leads").mkdir()
    rows.head(700).write_parquet(work / "leads" / "a.parquet")
    rows.slice(700).write_parquet(work / "leads" / "b.parquet")
    apply_fit_model(model, work / "leads.parquet", work / "reference.parquet")
    reference = pl.read_parquet(work / "reference.parquet").sort(["lead_id", "score", "grade", "reasons"])
    return model, work / "leads", reference


@pytest.mark.parametrize("engine", ENGINES)
def test_each_engine_scores_as_score_apply(
    engine: str,
    scored_files: tuple[Path, Path, pl.DataFrame],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    model, folder, reference = scored_files
    # Batches that split each file, so that a score reading beyond its own row would show.
    monkeypatch.setattr(score_batches, "SCORE_BATCH_ROWS", 400)
    master = "local[2]" if engine == "spark" else None
    out = tmp_path / "scored.parquet"
    rows = score_at_scale(model, folder, out, engine, progress=silent, spark_master=master)
    assert rows == reference.height
    assert_frame_equal(pl.read_parquet(out), reference, check_exact=True)


def test_a_folder_of_files_or_grades_holds_the_same_rows(
    scored_files: tuple[Path, Path, pl.DataFrame], tmp_path: Path
) -> None:
    model, folder, reference = scored_files
    score_at_scale(model, folder, tmp_path / "files", "duckdb", single_file=False)
    parts = sorted((tmp_path / "files").glob("*.parquet"))
    assert_frame_equal(pl.read_parquet(parts), reference, check_exact=True)
    score_at_scale(model, f"{folder}/*.parquet", tmp_path / "by-grade", "duckdb", partition_by="grade")
    grades = sorted(p.name for p in (tmp_path / "by-grade").iterdir())
    assert grades == [f"grade={g}" for g in sorted(set(reference.get_column("grade")))]
    graded = pl.read_parquet(tmp_path / "by-grade", hive_partitioning=True).sort(reference.columns)
    assert_frame_equal(graded.select(reference.columns), reference, check_exact=True)


@pytest.mark.parametrize(
    ("options", "said"),
    [
        ({"id_column": "nope"}, "there is no id column 'nope'"),
        ({"partition_by": "score"}, "cannot partition by 'score': expected one of grade"),
        ({"engine": "local", "memory_limit": "1GB"}, "--memory-limit bounds the duckdb engine"),
    ],
)
def test_bad_options_are_told_before_any_work(
    options: dict[str, str], said: str, scored_files: tuple[Path, Path, pl.DataFrame], tmp_path: Path
) -> None:
    model, folder, _reference = scored_files
    with pytest.raises(BadInput, match=said):
        score_at_scale(model, folder, tmp_path / "x.parquet", **{"engine": "duckdb", **options})
    assert not (tmp_path / "x.parquet").exists()
