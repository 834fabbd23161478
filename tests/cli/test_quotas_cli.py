"""`territorial quota allocate` through the CLI on SQLite (kpi_book), then `kpis` on the saved quotas."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from conftest import run_cli
from kpi_book import write_kpi_book

# kpi_book: WEST (r1) holds potential 100 + 300, EAST (r2) 600; FY2027's trailing 4 quarters (2026)
# booked o8, 999 on WEST, nothing on EAST.
WEST_POTENTIAL, EAST_POTENTIAL, WEST_HISTORY = 400, 600, 999
TARGET = 2000


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp_path = tmp_path_factory.mktemp("quotas")
    files = write_kpi_book(tmp_path)
    assert run_cli(tmp_path, "init").returncode == 0
    for entity, name in [("accounts", "accounts"), ("reps", "reps"), ("opportunities", "opportunities")]:
        assert run_cli(tmp_path, "import", entity, files[name]).returncode == 0
    assert run_cli(tmp_path, "plan", "add", "plan.yaml").returncode == 0
    (tmp_path / "bottom_up.csv").write_text("territory,amount\nWEST,1000\nEAST,1000\n")
    return tmp_path


def test_allocate_saves_quotas_and_kpis_read_them_for_attainment(folder: Path) -> None:
    args = ["quota", "allocate", "--target", TARGET, "--period", "FY2027", "--plan", "1", "--round", "1"]
    result = run_cli(folder, *args, "--save", "--out", "quotas.csv", "--bottom-up", "bottom_up.csv")
    assert result.returncode == 0, result.stderr
    # Shares: 0.6 of potential (0.4, 0.6) + 0.4 of history (1, 0); WEST's is within 999 … 1,298.
    west_share = 0.6 * WEST_POTENTIAL / (WEST_POTENTIAL + EAST_POTENTIAL) + 0.4
    west = round(TARGET * west_share)
    quotas = pl.read_csv(folder / "quotas.csv")
    assert quotas.select("territory_id", "rep_id", "quota").rows() == [
        ("EAST", "r2", TARGET - west),
        ("WEST", "r1", west),
    ]
    assert "fairness: quota ÷ potential across 2 reps with potential" in result.stdout
    assert f"+{west - 1000:,}" in result.stdout  # WEST against its bottom-up 1,000

    kpis = run_cli(folder, "kpis", "--plan", "1", "--period", "2027Q1", "--out", "kpis.csv")
    assert kpis.returncode == 0, kpis.stderr
    assert "quota: the quotas saved by `quota allocate`" in kpis.stdout
    rows = {r["group"]: r for r in pl.read_csv(folder / "kpis.csv").iter_rows(named=True)}
    share = 90 / 365  # 2027Q1's days of FY2027's
    assert rows["r1"]["quota"] == pytest.approx(west * share)
    # r1 booked o1 and o2 (400) in 2027Q1.
    assert rows["r1"]["attainment"] == pytest.approx(400 / (west * share))
    by_territory = run_cli(
        folder, "kpis", "--plan", "1", "--by", "territory", "--period", "FY2027", "--out", "t.csv"
    )
    assert by_territory.returncode == 0, by_territory.stderr
    territories = {r["group"]: r["quota"] for r in pl.read_csv(folder / "t.csv").iter_rows(named=True)}
    assert (territories["WEST"], territories["EAST"]) == (west, TARGET - west)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--target", "500"], "reachable range is 999 to no upper limit"),
        (["--target", "2000", "--weights", "history=1"], "reachable range is 999 to 1,298"),
        (["--target", "2000", "--round", "3"], "--target: the target 2,000 is not a whole number"),
        (["--target", "2000", "--weights", "fame=1"], "--weights: 'fame=1' is not a weight"),
        (["--target", "2000", "--ramp", "0.5,2"], "--ramp: '2' is not a share between 0 and 1"),
        (["--target", "2000", "--layer", "overlay"], "--layer: the plan has no territory in layer 'overlay'"),
    ],
)
def test_impossible_targets_and_bad_options_exit_2(folder: Path, extra: list[str], message: str) -> None:
    rounding = [] if "--round" in extra else ["--round", "1"]
    result = run_cli(folder, "quota", "allocate", "--period", "FY2027", "--plan", "1", *extra, *rounding)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr
