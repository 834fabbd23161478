"""`territorial score train` and `score apply` through the real CLI on a file with a known signal."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from conftest import run_cli


def test_train_then_apply_scores_grades_and_reasons(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    n = 400
    visits = rng.poisson(5, n)
    source = rng.choice(["Referral", "Ads", "Organic"], n)
    chance = 1 / (1 + np.exp(-(visits - 5) * 0.8 - (source == "Referral") * 1.5))
    converted = (rng.random(n) < chance).astype(int)
    history = pl.DataFrame(
        {
            "lead_id": [f"L{i:04d}" for i in range(n)],
            "visits": visits,
            "source": source,
            "stage_after": np.where(converted == 1, "won", "lost"),
            "converted": converted,
        }
    )
    history.write_csv(tmp_path / "history.csv")
    trained = run_cli(
        tmp_path, "score", "train", "--history", "history.csv", "--label", "converted",
        "--exclude-columns", "stage_after", "--out", "model.bin",
    )  # fmt: skip
    assert trained.returncode == 0, trained.stderr
    assert "ROC AUC" in trained.stdout and "stage_after" in trained.stdout
    applied = run_cli(
        tmp_path, "score", "apply", "history.csv", "--model", "model.bin", "--out", "scored.csv"
    )
    assert applied.returncode == 0, applied.stderr
    scored = pl.read_csv(tmp_path / "scored.csv")
    assert scored.columns[:4] == ["lead_id", "score", "grade", "reasons"]
    assert set(scored.get_column("grade")) <= {"A", "B", "C", "D"}
    by_source = scored.join(history, on="lead_id").group_by("source").agg(pl.col("score").mean())
    means = dict(by_source.iter_rows())
    assert means["Referral"] > means["Ads"]
    broken = tmp_path / "broken.bin"
    broken.write_bytes(b"not a model")
    result = run_cli(tmp_path, "score", "apply", "history.csv", "--model", "broken.bin", "--out", "x.csv")
    assert result.returncode == 2 and "broken.bin" in result.stderr
