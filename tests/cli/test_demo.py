"""`make demo` end to end: every step runs and writes what it says it writes."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

from conftest import run_process


def test_the_demo_runs_every_step_and_balances_the_book(tmp_path: Path) -> None:
    result = run_process(tmp_path, "demo", "--out", "demo")
    assert result.returncode == 0, result.stderr
    for step in range(1, 9):
        assert f"\n{step}. " in "\n" + result.stdout, f"step {step} missing"
    demo = tmp_path / "demo"
    assert pl.read_csv(demo / "lead_decisions.csv").height == 2_000
    alignment = pl.read_csv(demo / "balance" / "alignment.csv")
    assert alignment.height == pl.read_csv(demo / "accounts.csv").height
    totals = json.loads((demo / "balance" / "report.json").read_text())["totals"]
    assert totals["within_tolerance"] == totals["territories"] == totals["contiguous"] == 24
    assert (demo / "balance" / "plan.yaml").read_text().startswith("# A draft plan")
    # It ends with the web app's demo login and the command that serves it.
    assert "sign in as demo, password territorial-demo" in result.stdout
    assert "territorial --database-url sqlite:///demo/territorial.db serve" in result.stdout
