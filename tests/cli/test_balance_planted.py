"""`balance --contiguous` finds a ±5% contiguous alignment where one is known to exist (planted
instances, issue 17; benchmarks/balance_planted.py runs 200 of them). The column names are the
ones users have: a column named in --metric is always that column, `count` included."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import run_cli
from territorial.generate.planted import Rules, planted_instance


@pytest.mark.parametrize(
    ("seed", "n", "k", "metrics", "spread"),
    [(11, 400, 6, 3, (0.7, 1.3)), (14, 450, 8, 3, (0.25, 4.0))],
)
def test_a_planted_contiguous_alignment_is_found(
    tmp_path: Path, seed: int, n: int, k: int, metrics: int, spread: tuple[float, float]
) -> None:
    planted = planted_instance(seed, n, k, metrics, Rules(spread=spread))
    planted.units.write_csv(tmp_path / "units.csv")
    planted.edges.write_csv(tmp_path / "edges.csv")
    args = ["balance", "--units", "units.csv", "--edges", "edges.csv", "--k", str(k), "--contiguous"]
    for name in planted.metrics:
        args += ["--metric", f"{name}=0.05"]
    result = run_cli(tmp_path, *args, "--out", "a.csv", "--report", "r.json")
    assert result.returncode == 0, result.stderr
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["totals"]["within_tolerance"] == k and report["totals"]["contiguous"] == k
    # The `count` column is that column, not the number of units.
    assert "count" not in {m["source"] for m in report["metrics"].values()}
