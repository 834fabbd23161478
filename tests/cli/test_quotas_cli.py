"""`territorial quota allocate` through the CLI on SQLite (kpi_book), then `kpis` on the saved quotas."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from conftest import CTX, run_cli
from kpi_book import write_kpi_book
from territorial.domain.entities import Entity
from territorial.services.imports import import_records
from territorial.services.plans import add_plan
from territorial.services.workspace import create_workspace

# kpi_book: WEST (r1) holds potential 100 + 300, EAST (r2) 600; FY2027's trailing 4 quarters (2026)
# booked o8, 999 on WEST, nothing on EAST.
WEST_POTENTIAL, EAST_POTENTIAL, WEST_HISTORY = 400, 600, 999
TARGET = 2000


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The CLI's default workspace (./territorial.db), filled through the services: the commands under
    test are `quota allocate` and `kpis`, and each CLI start costs most of a second."""
    tmp_path = tmp_path_factory.mktemp("quotas")
    files = write_kpi_book(tmp_path)
    workspace = create_workspace(f"sqlite:///{tmp_path / 'territorial.db'}")
    for entity in (Entity.ACCOUNTS, Entity.REPS, Entity.OPPORTUNITIES):
        import_records(workspace, CTX, entity, files[entity.value])
    assert add_plan(workspace, CTX, files["plan"]) == 1
    workspace.engine.dispose()
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

    kpis = run_cli(folder, "kpis", "--plan", "1", "--by", "territory", "--period", "2027Q1", "--out", "k.csv")
    assert kpis.returncode == 0, kpis.stderr
    assert "quota: the quotas saved by `quota allocate`" in kpis.stdout
    rows = {r["group"]: r for r in pl.read_csv(folder / "k.csv").iter_rows(named=True)}
    share = 90 / 365  # 2027Q1's days of FY2027's
    assert rows["WEST"]["quota"] == pytest.approx(west * share)
    assert rows["EAST"]["quota"] == pytest.approx((TARGET - west) * share)
    # WEST's accounts booked o1, o2 and o4 (800) in 2027Q1.
    assert rows["WEST"]["attainment"] == pytest.approx(800 / (west * share))


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--target", "500"], "reachable range is 999 to no upper limit"),
        (["--target", "2000", "--weights", "history=1"], "reachable range is 999 to 1,298"),
        (["--target", "2000", "--round", "3"], "--target: the target 2,000 is not a whole number"),
    ],
)
def test_impossible_targets_and_a_target_off_the_rounding_exit_2(
    folder: Path, extra: list[str], message: str
) -> None:
    rounding = [] if "--round" in extra else ["--round", "1"]
    result = run_cli(folder, "quota", "allocate", "--period", "FY2027", "--plan", "1", *extra, *rounding)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr
