"""`territorial plan impact A B` through the CLI on a SQLite workspace (kpi_book) with two plans."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from conftest import run_cli
from kpi_book import PLAN, write_kpi_book

# Plan 2 moves A2 (30 employees, potential 300) from WEST (r1, capacity 1) to EAST (r2, capacity 2).
MOVED = PLAN.replace("rule: state = 'CA'", "rule: state = 'CA' and employees < 30").replace(
    "rule: state = 'NY'", "rule: state = 'NY' or employees >= 30"
)

# Plan 3 is plan 1 as a design with no reps named (a `balance` draft): each territory one seat.
DESIGN = PLAN.replace("    reps: [r1]\n", "").replace("    reps: [r2]\n", "")


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One workspace for the module: no test changes it (they write their own output files)."""
    tmp_path = tmp_path_factory.mktemp("impact")
    files = write_kpi_book(tmp_path)
    (tmp_path / "moved.yaml").write_text(MOVED, encoding="utf-8")
    (tmp_path / "design.yaml").write_text(DESIGN, encoding="utf-8")
    assert run_cli(tmp_path, "init").returncode == 0
    for entity in ("accounts", "reps", "opportunities"):
        assert run_cli(tmp_path, "import", entity, files[entity]).returncode == 0
    assert run_cli(tmp_path, "plan", "add", "plan.yaml").returncode == 0
    assert run_cli(tmp_path, "plan", "add", "moved.yaml").returncode == 0
    assert run_cli(tmp_path, "plan", "add", "design.yaml").returncode == 0
    return tmp_path


def test_impact_of_moving_an_account_estimates_and_explains_the_difference(folder: Path) -> None:
    result = run_cli(folder, "plan", "impact", "1", "2", "--out", "t.csv")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Expected bookings per year, plan 2 against plan 1" in out
    assert "does not cover the choice of response model" in out
    assert "note: the accounts have no `segment` field" in out
    # Plan 1: r1 spreads capacity 1 over 40 units of workload, r2 2 over 20 (3 reps' worth over 65 units:
    # effort 0.54 and 2.17 of a fair share); plan 2: r1 1 over 10 (2.17), r2 2 over 50 (0.87).
    assert "1 account loses selling effort: median 2.17 → 0.87" in out
    assert "Net loss: the accounts losing effort respond to it more" in out
    assert "2 accounts gain selling effort: median 0.54 → 1.52" in out
    table = pl.read_csv(folder / "t.csv")
    assert table.columns[:3] == ["territory_id", "accounts_a", "accounts_b"]
    assert table.select("territory_id", "accounts_a", "accounts_b").rows() == [
        ("(no territory)", 1, 1),
        ("EAST", 1, 2),
        ("WEST", 2, 1),
    ]
    again = run_cli(folder, "plan", "impact", "1", "2", "--by", "account", "--out", "a.csv")
    assert again.returncode == 0, again.stderr
    assert again.stdout == out  # the same seed: the same figures
    accounts = pl.read_csv(folder / "a.csv")
    assert accounts.get_column("account_id").to_list() == ["A1", "A2", "A3", "A4"]
    assert accounts.get_column("difference").sum() == pytest.approx(table.get_column("difference").sum())


def test_a_plan_against_itself_differs_by_exactly_zero(folder: Path) -> None:
    result = run_cli(folder, "plan", "impact", "1", "1", "--seed", "5")
    assert result.returncode == 0, result.stderr
    assert "difference (B - A): +0, 95% interval [+0, +0]" in result.stdout
    assert "No account's selling effort changes" in result.stdout


def test_a_plan_naming_no_reps_counts_each_territory_as_one_seat(folder: Path) -> None:
    result = run_cli(folder, "plan", "impact", "1", "3")
    assert result.returncode == 0, result.stderr
    assert (
        "note: plan 3 names no reps: each of its territories counts as one rep of capacity 1" in result.stdout
    )
    # WEST's seat carries r1's capacity 1; EAST's carries 1 where r2 carried 2: only A3 loses effort.
    assert "1 account loses selling effort: median 2.60 → 1.30" in result.stdout


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["1", "9"], "9"),
        (["1", "2", "--seed", "-1"], "--seed"),
        (["1", "2", "--seed", "abc"], "--seed"),
        (["1", "2", "--by", "rep"], "--by"),
        (["1", "2", "--segment", "tier"], "tier"),
    ],
)
def test_bad_input_exits_2_naming_what_is_wrong(folder: Path, args: list[str], says: str) -> None:
    result = run_cli(folder, "plan", "impact", *args)
    assert result.returncode == 2
    assert says in result.stdout + result.stderr
