"""Real-data CRM exports through the workspace: import, assign, export, re-import (both back ends)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
from sqlalchemy import create_engine, text

from conftest import run_cli

CRM = Path(__file__).resolve().parents[1] / "data" / "crm"

PLAN = """\
name: Fortune accounts by Census region
territories:
  - id: WEST
    rule: state IN ('CA', 'WA', 'OR', 'NV', 'AZ', 'CO', 'UT')
    reps: [0055g0000000002AAA]
  - id: REST
    priority: -1
    reps: [0055g0000000001AAA]
"""


def ok(result: object) -> object:
    assert getattr(result, "returncode") == 0, getattr(result, "stderr")  # noqa: B009
    return result


def scalar(url: str, sql: str) -> object:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(text(sql)).scalar_one()
    finally:
        engine.dispose()


def test_salesforce_round_trip(workspace_url: str, tmp_path: Path) -> None:
    def cli(*args: object) -> object:
        return ok(run_cli(tmp_path, "--database-url", workspace_url, *args))

    (tmp_path / "plan.yaml").write_text(PLAN)
    cli("init")
    cli("import", "accounts", CRM / "sf_accounts_fortune1000.csv", "--mapping", "salesforce")
    cli("import", "reps", CRM / "sf_users_crm.csv", "--mapping", "salesforce")
    # Normalisation happened and was recorded: "USA", "California", ZIP+4, "$1,234" revenue.
    assert scalar(workspace_url, "SELECT count(*) FROM accounts WHERE country <> 'US'") == 0
    assert scalar(workspace_url, "SELECT state FROM accounts WHERE name = 'Chevron'") == "CA"
    assert scalar(workspace_url, "SELECT postal_code FROM accounts WHERE name = 'Chevron'") == "94583"
    assert scalar(workspace_url, "SELECT count(*) FROM normalizations WHERE rule = 'country'") > 0
    plan_id = str(cli("plan", "add", "plan.yaml").stdout).strip()
    run_id = str(cli("assign", "--plan", plan_id).stdout).strip()
    cli("export", "assignments", "--run", run_id, "--format", "salesforce", "--out", "sf")
    owners = pl.read_csv(tmp_path / "sf" / "AccountOwnerUpdate.csv", infer_schema=False)
    chevron = scalar(workspace_url, "SELECT account_id FROM accounts WHERE name = 'Chevron'")
    assert owners.filter(pl.col("Id") == chevron).get_column("OwnerId").to_list() == ["0055g0000000002AAA"]
    associations = pl.read_csv(tmp_path / "sf" / "ObjectTerritory2Association.csv", infer_schema=False)
    assert set(associations.get_column("Territory2.DeveloperName")) == {"WEST", "REST"}
    # Data Loader's owner update, read back: owners change, and exactly those changes are recorded.
    (tmp_path / "back.yaml").write_text("entity: accounts\ncolumns:\n  Id: account_id\n  OwnerId: owner_id\n")
    cli("import", "accounts", tmp_path / "sf" / "AccountOwnerUpdate.csv", "--mapping", tmp_path / "back.yaml")
    changed = scalar(workspace_url, "SELECT count(*) FROM history WHERE import_id = 3 AND field = 'owner_id'")
    # Owners that the plan gave to another rep change; the others were already right.
    stored_before = scalar(
        workspace_url, "SELECT count(*) FROM history WHERE import_id = 1 AND field = '(created)'"
    )
    assert isinstance(changed, int) and 0 < changed <= owners.height <= int(str(stored_before))
    assert scalar(workspace_url, f"SELECT owner_id FROM accounts WHERE account_id = '{chevron}'") == (
        "0055g0000000002AAA"
    )


def test_hubspot_companies_keep_custom_fields_usable_in_rules(workspace_url: str, tmp_path: Path) -> None:
    def cli(*args: object) -> object:
        return ok(run_cli(tmp_path, "--database-url", workspace_url, *args))

    (tmp_path / "plan.yaml").write_text(
        "name: Lifecycle\nterritories:\n  - id: CUSTOMERS\n    rule: lifecycle_stage = 'opportunity'\n"
        "  - id: OTHERS\n    priority: -1\n"
    )
    cli("init")
    report = cli("import", "accounts", CRM / "hubspot_companies_inc5000.csv", "--mapping", "hubspot")
    assert "152 new" in str(getattr(report, "stderr"))  # noqa: B009
    plan_id = str(cli("plan", "add", "plan.yaml").stdout).strip()
    run_id = str(cli("assign", "--plan", plan_id).stdout).strip()
    cli("export", "assignments", "--run", run_id, "--format", "csv", "--out", "out")
    rows = pl.read_csv(tmp_path / "out" / "assignments.csv", infer_schema=False)
    customers = rows.filter(pl.col("territory_id") == "CUSTOMERS").height
    source = pl.read_csv(CRM / "hubspot_companies_inc5000.csv", infer_schema=False)
    assert customers == source.filter(pl.col("Lifecycle Stage") == "Opportunity").height > 0


def test_bad_crm_files_are_refused_with_their_line(workspace_url: str, tmp_path: Path) -> None:
    def cli(*args: object) -> object:
        return run_cli(tmp_path, "--database-url", workspace_url, *args)

    ok(cli("init"))
    for name, words in [
        ("bad_truncated_sf_accounts.csv", "bad_truncated_sf_accounts.csv:16: expected 19 fields"),
        ("bad_missing_id_sf_accounts.csv", "id column is missing"),
        ("bad_numbers_sf_accounts.csv", "expected a number"),
    ]:
        result = cli("import", "accounts", CRM / name, "--mapping", "salesforce")
        assert getattr(result, "returncode") == 2, (name, getattr(result, "stderr"))  # noqa: B009
        assert words in str(getattr(result, "stderr")), (name, getattr(result, "stderr"))  # noqa: B009
    result = cli(
        "import", "opportunities", CRM / "bad_duplicate_ids_hubspot_deals.csv", "--mapping", "hubspot"
    )
    assert getattr(result, "returncode") == 2 and "also on line" in str(getattr(result, "stderr"))  # noqa: B009
    assert scalar(workspace_url, "SELECT count(*) FROM accounts") == 0


def test_every_entity_imports_from_its_crm_export(workspace_url: str, tmp_path: Path) -> None:
    def cli(*args: object) -> object:
        return ok(run_cli(tmp_path, "--database-url", workspace_url, *args))

    cli("init")
    for entity, name, mapping, table, rows in [
        ("reps", "plain_reps_crm.csv", None, "reps", 41),
        ("reps", "hubspot_users_crm.csv", "hubspot", "reps", 82),
        ("opportunities", "sf_opportunities_crm.csv", "salesforce", "opportunities", 150),
        ("opportunities", "hubspot_deals_crm.csv", "hubspot", "opportunities", 274),
        ("leads", "sf_leads_olist.csv", "salesforce", "leads", 120),
        ("leads", "hubspot_contacts_olist.csv", "hubspot", "leads", 240),
    ]:
        cli("import", entity, CRM / name, *(["--mapping", mapping] if mapping else []))
        assert scalar(workspace_url, f"SELECT count(*) FROM {table}") == rows, name
    # Typed and normalised: won is a boolean, amounts numbers, Brazil an ISO code.
    assert scalar(workspace_url, "SELECT count(*) FROM opportunities WHERE won AND amount > 0") > 0
    assert scalar(workspace_url, "SELECT count(*) FROM leads WHERE country = 'BR'") > 0
