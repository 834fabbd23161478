"""`territorial penetration`, `gaps` and `drift` through the CLI on a SQLite workspace (coverage_book)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from conftest import run_cli, shared_data
from coverage_book import write_coverage_book


def test_penetration_gaps_and_drift_on_a_run_and_after_activation(tmp_path: Path) -> None:
    files = write_coverage_book(tmp_path)
    assert run_cli(tmp_path, "init").returncode == 0
    for entity in ("accounts", "reps", "opportunities"):
        assert run_cli(tmp_path, "import", entity, files[entity]).returncode == 0
    assert run_cli(tmp_path, "plan", "add", "plan.yaml").returncode == 0
    assert run_cli(tmp_path, "assign", "--plan", "1").returncode == 0

    shown = run_cli(tmp_path, "penetration", "--run", "1", "--period", "2027Q1", "--out", "index.csv")
    assert shown.returncode == 0, shown.stderr
    assert "EAST: most untapped (potential, no open deal): A5 (200)" in shown.stdout
    assert pl.read_csv(tmp_path / "index.csv").get_column("territory_id").to_list() == ["EAST", "WEST"]

    # Employees as potential: WEST 10 + 30 = 40 of 68, EAST 20 + 8 = 28; WEST booked all 800.
    by_employees = run_cli(
        tmp_path,
        "penetration",
        "--run",
        "1",
        "--period",
        "2027Q1",
        "--potential",
        "employees",
        "--out",
        "e.csv",
    )
    assert by_employees.returncode == 0, by_employees.stderr
    index = pl.read_csv(tmp_path / "e.csv").select("territory_id", "potential", "index").rows()
    assert index == [("EAST", 28.0, 0.0), ("WEST", 40.0, pytest.approx(68 / 40))]
    for field, said in [("name", "potential must name a number field"), ("size", "no field 'size'")]:
        refused = run_cli(tmp_path, "penetration", "--potential", field)
        assert refused.returncode == 2 and said in refused.stderr, refused.stderr
    (tmp_path / "flat.yaml").write_text(files["plan"].read_text().replace("potential: annual_revenue\n", ""))
    assert run_cli(tmp_path, "assign", "--plan", "flat.yaml").returncode == 0
    flat = run_cli(tmp_path, "gaps", "--run", "2")
    assert flat.returncode == 2 and "defines none: give --potential FIELD" in flat.stderr

    gaps = run_cli(tmp_path, "gaps", "--run", "1", "--market", "market.csv", "--market-out", "m.csv")
    assert gaps.returncode == 0, gaps.stderr
    assert (
        "2 accounts hold 120 potential that no territory or rep covers (2 with no territory)" in gaps.stdout
    )
    assert pl.read_csv(tmp_path / "m.csv", schema_overrides={"area": pl.String}).rows() == [
        ("60601", 900.0),
        ("02110", 300.0),
    ]
    bad = run_cli(tmp_path, "gaps", "--area", "state")
    assert bad.returncode == 2 and "--area" in bad.stderr
    overwrite = run_cli(tmp_path, "gaps", "--market", "market.csv", "--market-out", "market.csv")
    assert overwrite.returncode == 2

    assert run_cli(tmp_path, "plan", "activate", "1").returncode == 0
    assert run_cli(tmp_path, "drift", "--fail-on-drift").returncode == 0
    assert run_cli(tmp_path, "import", "accounts", files["changed"]).returncode == 0
    drifted = run_cli(
        tmp_path, "drift", "--fail-on-drift", "--out", "drift.csv", "--owners-out", "owners.csv"
    )
    assert drifted.returncode == 3, drifted.stderr
    assert "territorial balance --workspace --plan 1 --metric workload=0.1 --max-moves 0.05" in drifted.stdout
    assert "A1 (CRM r2, live r1 in WEST)" in drifted.stdout
    assert pl.read_csv(tmp_path / "owners.csv").rows() == [("A1", "r2", "r1", "WEST")]
    figures = pl.read_csv(tmp_path / "drift.csv").filter(pl.col("past_threshold"))
    assert figures.select("territory_id", "measure", "then", "now").rows() == [
        ("EAST", "workload", 28.0, 48.0)
    ]
    assert run_cli(tmp_path, "drift").returncode == 0  # reporting alone exits 0
    # Run 1 kept its figures when it was stored: EAST's workload 28 then, 48 today.
    since_run = run_cli(tmp_path, "drift", "--run", "1")
    assert since_run.returncode == 0 and "Drift since run 1 (plan 1)" in since_run.stdout
    assert "│ EAST      │ workload │   28 │  48 │ +71.4% │ past threshold │" in since_run.stdout
    assert run_cli(tmp_path, "drift", "--threshold", "2").returncode == 2


MAVEN = shared_data("crm-sales-opportunities")
# A plan by sector over the CRM Sales Opportunities accounts: employment is in no territory and
# services has no rep; potential is revenue (millions of USD).
SECTOR_PLAN = """\
name: CRM by sector
workload: employees
potential: revenue_musd
territories:
  - id: TECH
    rule: industry in ('technolgy', 'software', 'telecommunications')
    reps: [Anna Snelling, Cecily Lampkin]
  - id: HEALTH
    rule: industry = 'medical'
    reps: [Violet Mclelland]
  - id: RETAIL
    rule: industry in ('retail', 'finance', 'marketing', 'entertainment')
    reps: [Vicki Laflamme, Darcel Schlecht]
  - id: SERVICES
    rule: industry = 'services'
"""


@pytest.mark.skipif(not MAVEN.is_dir(), reason="the CRM Sales Opportunities data is in ../shared/data")
def test_penetration_gaps_and_drift_on_the_crm_sales_opportunities_data(tmp_path: Path) -> None:
    assert run_cli(tmp_path, "init").returncode == 0
    for entity, name in [
        ("accounts", "accounts"),
        ("reps", "sales_teams"),
        ("opportunities", "sales_pipeline"),
    ]:
        imported = run_cli(
            tmp_path, "import", entity, MAVEN / f"{name}.csv", "--mapping", "crm-sales-opportunities"
        )
        assert imported.returncode == 0, imported.stderr
    (tmp_path / "plan.yaml").write_text(SECTOR_PLAN, encoding="utf-8")
    assert run_cli(tmp_path, "assign", "--plan", "plan.yaml").returncode == 0

    shown = run_cli(
        tmp_path, "penetration", "--period", "2017Q3", "--price-list", MAVEN / "products.csv", "--out=i.csv"
    )
    assert shown.returncode == 0, shown.stderr
    # The territories' bookings are the won close_value of 2017Q3 on accounts outside employment.
    accounts = pl.read_csv(MAVEN / "accounts.csv")
    deals = pl.read_csv(MAVEN / "sales_pipeline.csv", try_parse_dates=True).join(accounts, on="account")
    won = deals.filter(
        (pl.col("deal_stage") == "Won")
        & (pl.col("close_date").dt.quarter() == 3)
        & (pl.col("close_date").dt.year() == 2017)
        & (pl.col("sector") != "employment")
    )
    index = pl.read_csv(tmp_path / "i.csv")
    assert index.get_column("bookings").sum() == won.get_column("close_value").sum()
    assert index.get_column("potential").sum() == pytest.approx(
        accounts.filter(pl.col("sector") != "employment").get_column("revenue").sum()
    )

    assert run_cli(tmp_path, "gaps", "--out", "gaps.csv").returncode == 0
    gaps = pl.read_csv(tmp_path / "gaps.csv").group_by("gap").agg(pl.col("account_id").sort())
    sectors = accounts.group_by("sector").agg(pl.col("account").sort())
    expected = {"no territory": "employment", "no rep": "services"}
    for gap, accounts_in_gap in gaps.iter_rows():
        assert (
            accounts_in_gap == sectors.filter(pl.col("sector") == expected[gap]).item(0, "account").to_list()
        )

    steady = run_cli(tmp_path, "drift", "--fail-on-drift")
    assert (
        steady.returncode == 0 and "no territory's accounts, workload or potential changed" in steady.stdout
    )
