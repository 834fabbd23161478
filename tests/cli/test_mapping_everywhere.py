"""--mapping on every command that reads accounts, reps or leads from a file: the file reads as
`import` reads it (#18 slice 2), on real Salesforce-shaped exports."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from conftest import run_cli

CRM = Path(__file__).resolve().parents[1] / "data" / "crm"
ACCOUNTS = CRM / "sf_accounts_fortune1000.csv"
USERS = CRM / "sf_users_crm.csv"
PLAN = """\
name: Mapped
territories:
  - id: TX
    rule: state = 'TX' AND employees > 1000
    reps: [0055g0000000001AAA]
  - id: REST
    priority: -1
    reps: [0055g0000000002AAA]
"""


def _texas(frame: pl.DataFrame) -> int:
    return frame.filter(pl.col("territory_id") == "TX").height


def test_assign_reads_a_salesforce_export_and_its_users_with_the_mapping(tmp_path: Path) -> None:
    (tmp_path / "plan.yaml").write_text(PLAN)
    plain = run_cli(tmp_path, "assign", "plan.yaml", "--accounts", ACCOUNTS)
    assert plain.returncode == 2
    assert "the required column account_id is missing" in plain.stderr
    assert "the file has 'Id', the id column of a Salesforce export: use --mapping salesforce" in plain.stderr
    args = ["assign", "plan.yaml", "--accounts", ACCOUNTS, "--reps", USERS, "--mapping", "salesforce"]
    mapped = run_cli(tmp_path, *args, "--out", "o.csv")
    assert mapped.returncode == 0, mapped.stderr
    rows = pl.read_csv(tmp_path / "o.csv", infer_schema_length=0)
    # TX, Texas and texas, with 1000 or more employees as 8916 or "40,000": all read as import reads them.
    expected = pl.read_csv(ACCOUNTS, infer_schema_length=0).filter(
        pl.col("BillingState").str.to_lowercase().is_in(["tx", "texas"])
        & (pl.col("NumberOfEmployees").str.replace_all(",", "").cast(pl.Float64, strict=False) > 1000)
    )
    assert _texas(rows) == expected.height == 8
    assert set(rows.filter(pl.col("territory_id") == "TX")["rep_id"]) == {"0055g0000000001AAA"}
    checked = run_cli(tmp_path, "validate", "plan.yaml", "--accounts", ACCOUNTS, "--mapping", "salesforce")
    assert checked.returncode == 0, checked.stderr


def test_a_mapping_file_maps_only_the_files_of_its_entity(tmp_path: Path) -> None:
    (tmp_path / "plan.yaml").write_text(
        "name: P\nterritories:\n  - id: ALL\n    rule: industry = 'Energy' AND region = 'South'\n"
    )
    args = ["assign", "plan.yaml", "--accounts", CRM / "custom_accounts_fortune1000.csv"]
    result = run_cli(tmp_path, *args, "--mapping", CRM / "custom_accounts_mapping.yaml", "--out", "o.csv")
    assert result.returncode == 0, result.stderr
    assert _texas(pl.read_csv(tmp_path / "o.csv")) == 0
    assert pl.read_csv(tmp_path / "o.csv").filter(pl.col("territory_id") == "ALL").height > 0


def test_balance_and_route_take_the_mapping_too(tmp_path: Path) -> None:
    balanced = run_cli(
        tmp_path,
        *(
            "balance",
            "--accounts",
            ACCOUNTS,
            "--mapping",
            "salesforce",
            "--k",
            "2",
            "--metric",
            "accounts=0.5",
        ),
        *("--skip-unlocated", "--out", "alignment.csv"),
    )
    assert balanced.returncode == 0, balanced.stderr
    (tmp_path / "plan.yaml").write_text(PLAN)
    (tmp_path / "leads.csv").write_text(
        "Id,Email,Company,State,Country,CreatedDate\n"
        "00Q5g00000000AAAAA,ann@kimberly-clark.com,Kimberly-Clark,Texas,United States,3/2/2026\n"
        "00Q5g00000000BBBAA,bo@acme.com,Acme,CA,US,2026-03-03T10:00:00.000+0000\n"
    )
    assert run_cli(tmp_path, "init").returncode == 0
    assert run_cli(tmp_path, "import", "accounts", ACCOUNTS, "--mapping", "salesforce").returncode == 0
    routed = run_cli(
        tmp_path,
        *("route", "leads.csv", "--plan", "plan.yaml", "--reps", USERS, "--mapping", "salesforce"),
        *("--out", "decisions.csv"),
    )
    assert routed.returncode == 0, routed.stderr
    decisions = pl.read_csv(tmp_path / "decisions.csv", infer_schema_length=0)
    assert decisions["lead_id"].to_list() == ["00Q5g00000000AAAAA", "00Q5g00000000BBBAA"]
    # Email and Company read as email and company: the lead finds its account (and its owner).
    first = decisions.filter(pl.col("lead_id") == "00Q5g00000000AAAAA")
    assert first["matched_account_id"].to_list() == ["0015g0000000175AAA"]
    assert first["rep_id"].to_list() == ["0055g0000000028AAA"]


def test_explain_and_capacity_take_the_mapping_too(tmp_path: Path) -> None:
    (tmp_path / "plan.yaml").write_text(PLAN)
    explained = run_cli(
        tmp_path,
        *("explain", "plan.yaml", "--accounts", ACCOUNTS, "--reps", USERS, "--mapping", "salesforce"),
        *("--account", "0015g0000000175AAA"),
    )
    assert explained.returncode == 0, explained.stderr
    assert "TX" in explained.stdout
    # One account of the export (Kingwood, TX) is in no place the bundled tables know: capacity
    # refuses what it cannot locate, so it is left out here.
    located = [line for line in ACCOUNTS.read_text().splitlines(keepends=True) if "Kingwood" not in line]
    (tmp_path / "accounts.csv").write_text("".join(located))
    counted = run_cli(tmp_path, "capacity", "--accounts", "accounts.csv", "--mapping", "salesforce")
    assert counted.returncode == 0, counted.stderr


def test_a_mapping_file_for_another_entity_is_named_when_the_id_is_missing(tmp_path: Path) -> None:
    # A leads mapping given to assign leaves the accounts file unmapped: the missing account_id is
    # explained by the mapping, which is named with the entity it maps and the one expected.
    (tmp_path / "plan.yaml").write_text(PLAN)
    (tmp_path / "leads.yaml").write_text("entity: leads\ncolumns:\n  Id: lead_id\n")
    result = run_cli(tmp_path, "assign", "plan.yaml", "--accounts", ACCOUNTS, "--mapping", "leads.yaml")
    assert result.returncode == 2, result.stderr
    assert "the required column account_id is missing" in result.stderr
    assert "the mapping file leads.yaml maps leads (entity: leads), not accounts" in result.stderr
    assert "give a mapping file with entity: accounts" in result.stderr
