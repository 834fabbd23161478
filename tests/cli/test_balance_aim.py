"""`territorial balance --aim`: how much of each tolerance the search aims inside."""

from __future__ import annotations

import json
from pathlib import Path

from test_balance_cli import BAD_INPUT

from conftest import run_cli

ARGS = ("balance", "--units", "units.csv", "--k", "3", "--workload", "calls", "--metric", "calls=0.2")


def write_skewed_units(folder: Path, side: int = 12) -> None:
    """A grid whose calls grow from west to east: the most compact thirds are not the most even."""
    rows = ["id,x,y,calls"]
    rows += [f"U{x}-{y},{x},{y},{1 + x * x}" for x in range(side) for y in range(side)]
    (folder / "units.csv").write_text("\n".join(rows) + "\n")


def run_with_aim(folder: Path, aim: str) -> dict:
    result = run_cli(folder, *ARGS, "--aim", aim, "--out", f"a{aim}.csv", "--report", f"r{aim}.json")
    assert result.returncode == 0, result.stderr
    return json.loads((folder / f"r{aim}.json").read_text())


def test_a_higher_aim_trades_evenness_for_compactness(tmp_path: Path) -> None:
    write_skewed_units(tmp_path)
    even, compact = run_with_aim(tmp_path, "0.25"), run_with_aim(tmp_path, "1")
    assert (even["totals"]["aim"], compact["totals"]["aim"]) == (0.25, 1.0)

    def worst(report: dict) -> float:
        return max(abs(t["metrics"]["calls"]["deviation"]) for t in report["territories"])

    assert worst(even) <= 0.2 + 1e-9 and worst(compact) <= 0.2 + 1e-9
    assert worst(compact) > worst(even)
    assert compact["totals"]["cost"] < even["totals"]["cost"]


def test_an_aim_outside_0_to_1_exits_2(tmp_path: Path) -> None:
    write_skewed_units(tmp_path)
    for aim in ("0", "1.5"):
        result = run_cli(tmp_path, *ARGS, "--aim", aim)
        assert result.returncode == BAD_INPUT
        assert "--aim" in result.stderr and "above 0 and at most 1" in result.stderr
