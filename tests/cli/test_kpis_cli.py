"""`territorial kpis` and `territorial fairness` through the CLI on a SQLite workspace (kpi_book)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from conftest import run_cli, shared_data
from kpi_book import write_kpi_book


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One workspace for the module: no test changes it (they write their own output files)."""
    tmp_path = tmp_path_factory.mktemp("kpis")
    files = write_kpi_book(tmp_path)
    assert run_cli(tmp_path, "init").returncode == 0
    for entity, name in [
        ("accounts", "accounts"),
        ("reps", "reps"),
        ("opportunities", "opportunities"),
        ("opportunity_history", "history"),
    ]:
        assert run_cli(tmp_path, "import", entity, files[name]).returncode == 0
    assert run_cli(tmp_path, "plan", "add", "plan.yaml").returncode == 0
    assert run_cli(tmp_path, "assign", "--plan", "1").returncode == 0
    return tmp_path


def test_kpis_by_manager_writes_every_figure_and_says_what_it_read(folder: Path) -> None:
    result = run_cli(
        folder, "kpis", "--run", "1", "--by", "manager", "--period", "2027Q1", "--out", "kpis.csv"
    )
    assert result.returncode == 0, result.stderr
    assert (
        "KPIs of run 1 (plan 1) by manager, deals closed in 2027Q1 (2027-01-01 to 2027-03-31)"
        in result.stdout
    )
    assert "attainment is empty: no rep has a quota" in result.stdout
    m1 = pl.read_csv(folder / "kpis.csv").row(0, named=True)
    # r1's o1, o2 and r2's o4 won (800); r2's o3 and o5 lost.
    assert (m1["group"], m1["accounts"], m1["bookings"], m1["won"], m1["lost"]) == ("m1", 3, 800.0, 3, 2)
    assert m1["cycle_days"] == 20.0  # 10, 30 and 20 days


def test_fairness_writes_its_measures_and_lorenz_curves(folder: Path) -> None:
    result = run_cli(
        folder, "fairness", "--measure", "workload,bookings", "--out", "f.csv", "--lorenz-out", "l.csv"
    )
    assert result.returncode == 0, result.stderr
    assert "2 reps; target: capacity-weighted target" in result.stdout
    assert "workload: 2 reps outside ±10%, furthest first: r1 40 (+100%), r2 20 (-50%)" in result.stdout
    measures = pl.read_csv(folder / "f.csv")
    assert measures.get_column("measure").to_list() == ["workload", "bookings"]
    assert measures.get_column("flagged").to_list() == [2, 2]
    curve = pl.read_csv(folder / "l.csv").filter(pl.col("measure") == "workload")
    # Loads per capacity: r2 10, r1 40: the smaller half holds 10 of 50.
    assert curve.get_column("share_of_measure").to_list() == [0.0, 0.2, 1.0]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["kpis", "--by", "region"],
            "--by: cannot group by 'region': expected territory, rep, manager, layer",
        ),
        (["kpis", "--period", "2027Q5"], "--period: '2027Q5' is not a period"),
        (["kpis", "--run", "9"], "--run: no assignment run with id 9"),
        (["kpis", "--plan", "latest"], "--plan: --plan takes a plan id or 'active', not 'latest'"),
        (["kpis", "--plan", "active"], "--plan: no plan is active"),
        (["fairness", "--by", "manager"], "--by: fairness compares reps or territories"),
        (["fairness", "--measure", "happiness"], "--measure: unknown measure happiness"),
    ],
)
def test_bad_options_exit_2_naming_the_option(folder: Path, args: list[str], message: str) -> None:
    result = run_cli(folder, *args)
    assert result.returncode == 2
    assert message in result.stderr


MAVEN = shared_data("crm-sales-opportunities")


def test_kpis_on_the_crm_sales_opportunities_data(crm_workspace: Path) -> None:
    args = ["kpis", "--by", "regional_office", "--price-list", MAVEN / "products.csv", "--out", "kpis.csv"]
    assert run_cli(crm_workspace, *args).returncode == 0
    table = pl.read_csv(crm_workspace / "kpis.csv")
    offices = table.filter(~pl.col("group").str.starts_with("("))
    assert offices.get_column("group").to_list() == ["Central", "East", "West"]
    # Every won deal has an agent and an office: the offices' bookings are the file's won close_value,
    # 4,238 deals; 1,589 Engaging deals are open, priced by their product's list price.
    pipeline = pl.read_csv(MAVEN / "sales_pipeline.csv")
    won = pipeline.filter(pl.col("deal_stage") == "Won")
    assert offices.get_column("bookings").sum() == won.get_column("close_value").sum()
    assert offices.get_column("won").sum() == won.height
    assert table.get_column("open_pipeline").sum() > 0


def test_the_settings_weigh_stages_and_start_fiscal_years(folder: Path) -> None:
    settings = folder / "settings"  # a folder of its own: the other tests read no territorial.toml
    settings.mkdir(exist_ok=True)
    database = ["--database-url", folder / "territorial.db"]
    toml = settings / "territorial.toml"
    toml.write_text("stage_probabilities = { Proposal = 0.9 }\nfiscal_year_start_month = 2\n")
    result = run_cli(settings, *database, "kpis", "--period", "2027Q1", "--out", "kpis.csv")
    assert result.returncode == 0, result.stderr
    assert "2027Q1 (2026-02-01 to 2026-04-30)" in result.stdout
    assert "stage_probabilities in the settings" in result.stdout
    r2 = pl.read_csv(settings / "kpis.csv").filter(pl.col("group") == "r2").row(0, named=True)
    assert (r2["weighted_pipeline"], r2["won"]) == (900.0, 0)  # nothing closed in Feb-Apr 2026
    toml.write_text("fiscal_year_start_month = 13\n")
    bad = run_cli(settings, *database, "kpis")
    assert (
        bad.returncode == 2 and "territorial.toml [fiscal_year_start_month]: a month is 1 to 12" in bad.stderr
    )
    toml.write_text("stage_probabilities = { Proposal = 90 }\n")
    bad = run_cli(settings, *database, "kpis")
    assert bad.returncode == 2 and "a chance of winning is 0 to 1, not 90" in bad.stderr
