"""#24's round trip, as a HubSpot and a Salesforce admin would do it: real Olist leads exported with
each CRM's own headers are routed as exported, and the owner update written back names owners the
way each CRM's import accepts them. Nothing is hand-edited in between."""

from __future__ import annotations

import csv
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import run_cli

CRM = Path(__file__).resolve().parents[1] / "data" / "crm"

PLAN = """\
name: Olist leads
territories:
  - id: SAO-PAULO
    rule: state = 'SP'
    reps: ['{first}', '{second}']
  - id: BRAZIL
    rule: country = 'BR' AND (state IS NULL OR state <> 'SP')
    reps: ['{third}']
"""

# (CRM, leads export, users export, the export's id and state headers, owner update file, columns)
CASES = {
    "hubspot": (
        "hubspot_contacts_olist.csv",
        "hubspot_users_crm.csv",
        ("Record ID", "State/Region", "User ID", "Email"),
        "ContactOwnerUpdate.csv",
        ["Record ID", "Contact owner"],
    ),
    "salesforce": (
        "sf_leads_olist.csv",
        "sf_users_crm.csv",
        ("Id", "State", "Id", "Id"),
        "LeadOwnerUpdate.csv",
        ["Id", "OwnerId"],
    ),
}


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.parametrize("crm", sorted(CASES))
def test_exported_leads_are_routed_as_exported_and_the_owner_update_loads_back(
    tmp_path: Path, crm: str
) -> None:
    leads_file, users_file, (lead_id, state, user_id, owner_as), update, columns = CASES[crm]
    text = (CRM / leads_file).read_text(encoding="utf-8")
    if crm == "salesforce":
        # Olist knows a lead's place only once it became a seller, so every placed lead is
        # converted: half of them are made open again, so that both kinds are routed.
        lines = text.splitlines(keepends=True)
        placed = [n for n, line in enumerate(lines) if ",true," in line]
        for n in placed[::2]:
            lines[n] = lines[n].replace("Closed - Converted,true,", "Working - Contacted,false,")
        text = "".join(lines)
    else:
        # Three contacts HubSpot already gives to the first user, named as its export names an owner.
        lines = text.splitlines(keepends=True)
        for n in (1, 2, 3):
            assert lines[n].endswith(",\n")
            lines[n] = lines[n][:-1] + "Cara  LOSCH\n"
        # Likewise every placed contact is a customer: half of the others are made leads again.
        customers = [n for n, line in enumerate(lines) if n > 3 and ",Customer," in line]
        for n in customers[::2]:
            lines[n] = lines[n].replace(",Customer,", ",Marketing Qualified Lead,")
        text = "".join(lines)
    (tmp_path / "leads.csv").write_text(text, encoding="utf-8")
    shutil.copy(CRM / users_file, tmp_path / "users.csv")
    leads, users = rows(tmp_path / "leads.csv"), rows(tmp_path / "users.csv")
    reps = [user[user_id] for user in users[:3]]
    (tmp_path / "plan.yaml").write_text(PLAN.format(first=reps[0], second=reps[1], third=reps[2]))

    def cli(*args: object) -> str:
        result = run_cli(tmp_path, "--database-url", f"sqlite:///{tmp_path / 'ws.db'}", *args)
        assert result.returncode == 0, result.stderr
        return result.stderr

    cli("init")
    cli("import", "reps", "users.csv", "--mapping", crm)
    said = cli("route", "leads.csv", "--plan", "plan.yaml", "--mapping", crm, "--out", "decisions.csv")
    # The export's place and date columns are read, not passed over.
    unused = said.split("not used by routing:", 1)[1].splitlines()[0] if "not used by" in said else ""
    for header in (
        state,
        "Postal Code" if crm == "hubspot" else "PostalCode",
        "Country/Region" if crm == "hubspot" else "Country",
    ):
        assert header not in unused, said
    decided = {row["lead_id"]: row for row in rows(tmp_path / "decisions.csv")}
    assert set(decided) == {lead[lead_id] for lead in leads}  # the CRM's own ids, as text
    # A contact HubSpot already gives to a rep stays theirs, and is not in the owner update.
    kept = {lead[lead_id] for lead in leads if lead.get("Contact owner")}
    assert (crm == "hubspot") == (len(kept) == 3)
    assert {i for i, row in decided.items() if row["decision"] == "owned"} == kept
    assert {decided[i]["rep_id"] for i in kept} <= {reps[0]}
    # Salesforce's converted leads and HubSpot's customers (no account here to match) are no new
    # leads: never round-robined, never in the owner update.
    converted = {
        lead[lead_id]
        for lead in leads
        if lead.get("IsConverted") == "true" or lead.get("Lifecycle Stage") == "Customer"
    } - kept
    assert converted
    assert {i for i, row in decided.items() if row["decision"] == "skipped"} == converted
    assert all(not decided[i]["rep_id"] for i in converted)
    decided = {i: row for i, row in decided.items() if i not in converted | kept}
    leads = [lead for lead in leads if lead[lead_id] not in converted | kept]
    in_sao_paulo = {lead[lead_id] for lead in leads if lead[state].strip().upper() == "SP"}
    assert (
        in_sao_paulo
        and {i for i, row in decided.items() if row["territory_id"] == "SAO-PAULO"} == in_sao_paulo
    )
    assert {row["rep_id"] for i, row in decided.items() if i in in_sao_paulo} <= set(reps[:2])
    assert {row["rep_id"] for i, row in decided.items() if i not in in_sao_paulo} == {reps[2]}

    cli("export", "decisions", "--run", "1", "--format", crm, "--out-dir", "back")
    written = rows(tmp_path / "back" / update)
    assert written and list(written[0]) == columns
    owner_of = {user[user_id]: user[owner_as] for user in users}
    assert {row[columns[0]] for row in written} == set(decided)  # every lead got a new owner
    for row in written:
        assert row[columns[1]] == owner_of[decided[row[columns[0]]]["rep_id"]]

    again = cli("route", "leads.csv", "--plan", "plan.yaml", "--mapping", crm)
    assert "every lead was already routed" in again


# ---- what a new user's review found: each CRM's own word on a lead, and files that are not right --

HUBSPOT_LEADS = """\
Record ID,Email,State/Region,Country/Region,Create Date,Lifecycle Stage,Contact owner
101,a@x.br,SP,Brazil,2018-05-01 09:00,Marketing Qualified Lead,
102,b@x.br,SP,Brazil,2018-05-01 09:00,Customer,
103,c@x.br,RJ,Brazil,2018-05-01 09:00,Opportunity,
104,d@x.br,SP,Brazil,2018-05-01 09:00,Marketing Qualified Lead,Cara Losch
105,e@x.br,RJ,Brazil,2018-05-01 09:00,Lead,
"""
SALESFORCE_LEADS = """\
Id,Email,State,Country,CreatedDate,IsConverted,OwnerId
00Q5g00000AbC01,a@x.br,SP,Brazil,2018-05-01T09:00:00.000+0000,false,00G5g000000QueUe
00Q5g00000AbC02,b@x.br,SP,Brazil,2018-05-01T09:00:00.000+0000,true,0055g0000000002AAA
00Q5g00000AbC03,c@x.br,SP,Brazil,2018-05-01T09:00:00.000+0000,false,0055g0000000002AAA
00Q5g00000AbC04,d@x.br,RJ,Brazil,2018-05-01T09:00:00.000+0000,false,
"""


def crm_workspace(tmp_path: Path, crm: str) -> Callable[..., subprocess.CompletedProcess[str]]:
    """A workspace with the CRM's users as reps and the Olist plan over the first three."""
    users = rows(CRM / CASES[crm][1])
    user_id = CASES[crm][2][2]
    reps = [user[user_id] for user in users[:3]]
    (tmp_path / "plan.yaml").write_text(PLAN.format(first=reps[0], second=reps[1], third=reps[2]))

    def cli(*args: object) -> subprocess.CompletedProcess[str]:
        return run_cli(tmp_path, "--database-url", f"sqlite:///{tmp_path / 'ws.db'}", *args)

    assert cli("init").returncode == 0
    assert cli("import", "reps", CRM / CASES[crm][1], "--mapping", crm).returncode == 0
    return cli


def test_customers_converted_and_owned_leads_keep_the_crms_owner_and_are_not_written_back(
    tmp_path: Path,
) -> None:
    cli = crm_workspace(tmp_path, "hubspot")
    (tmp_path / "contacts.csv").write_text(HUBSPOT_LEADS)
    said = cli("route", "contacts.csv", "--plan", "plan.yaml", "--mapping", "hubspot", "--out", "d.csv")
    assert said.returncode == 0, said.stderr
    decided = {row["lead_id"]: row for row in rows(tmp_path / "d.csv")}
    assert {i: row["decision"] for i, row in decided.items()} == {
        "101": "routed",
        "102": "skipped",  # a customer: no account here to match, so its HubSpot owner stands
        "103": "skipped",  # in a deal
        "104": "owned",  # Cara's in HubSpot, and a rep who takes leads: kept
        "105": "routed",
    }
    assert decided["102"]["reason"].startswith("already a customer in the CRM (lifecycle stage Customer)")
    assert decided["104"]["rep_id"] == "41000137" and not decided["102"]["rep_id"]
    assert re.search(r"skipped\s+│\s+2 │ converted, or a customer or opportunity in the CRM", said.stderr)
    export = cli("export", "decisions", "--run", "1", "--format", "hubspot", "--out-dir", "hs")
    assert export.returncode == 0, export.stderr
    assert [row["Record ID"] for row in rows(tmp_path / "hs" / "ContactOwnerUpdate.csv")] == ["101", "105"]
    assert "1 kept by the rep the CRM gives them to" in export.stderr
    assert "2 skipped: converted, or a customer or opportunity, in the CRM" in export.stderr

    # Routed anyway (--reassign-owned): a lead HubSpot already gives to the rep it goes to is left
    # out of the update, one it gives to another rep is in it.
    (tmp_path / "more.csv").write_text(
        "Record ID,State/Region,Country/Region,Create Date,Contact owner\n"
        "201,RJ,Brazil,2018-05-02 09:00,Dustin Brinkmann\n"  # BRAZIL is Dustin's alone
        "202,RJ,Brazil,2018-05-02 09:00,cara.losch@example.com\n"
    )
    again = cli("route", "more.csv", "--plan", "plan.yaml", "--mapping", "hubspot", "--reassign-owned")
    assert again.returncode == 0, again.stderr
    export = cli("export", "decisions", "--run", "2", "--format", "hubspot", "--out-dir", "hs2")
    assert [row["Record ID"] for row in rows(tmp_path / "hs2" / "ContactOwnerUpdate.csv")] == ["202"]
    assert "1 already owned by their routed rep in the CRM" in export.stderr, export.stderr


def test_salesforces_converted_and_owned_leads_and_a_queues_lead(tmp_path: Path) -> None:
    cli = crm_workspace(tmp_path, "salesforce")
    (tmp_path / "leads.csv").write_text(SALESFORCE_LEADS)
    said = cli("route", "leads.csv", "--plan", "plan.yaml", "--mapping", "salesforce", "--out", "d.csv")
    assert said.returncode == 0, said.stderr
    decided = [(row["decision"], row["rep_id"]) for row in rows(tmp_path / "d.csv")]
    assert decided == [
        ("routed", "0055g0000000001AAA"),  # a queue's lead is routed
        ("skipped", ""),  # converted
        ("owned", "0055g0000000002AAA"),
        ("routed", "0055g0000000003AAA"),
    ]
    export = cli("export", "decisions", "--run", "1", "--format", "salesforce", "--out-dir", "sf")
    assert export.returncode == 0, export.stderr
    written = rows(tmp_path / "sf" / "LeadOwnerUpdate.csv")
    assert [row["Id"][:15] for row in written] == ["00Q5g00000AbC01", "00Q5g00000AbC04"]
    assert all(len(row["Id"]) == 18 for row in written)  # as Data Loader writes them


def test_an_owner_update_for_the_other_crms_leads_is_refused(tmp_path: Path) -> None:
    cli = crm_workspace(tmp_path, "hubspot")
    (tmp_path / "contacts.csv").write_text(HUBSPOT_LEADS)
    assert cli("route", "contacts.csv", "--plan", "plan.yaml", "--mapping", "hubspot").returncode == 0
    refused = cli("export", "decisions", "--run", "1", "--format", "salesforce", "--out-dir", "sf")
    assert refused.returncode == 2
    assert "these 5 leads came from HubSpot" in refused.stderr and "use --format hubspot" in refused.stderr
    assert not (tmp_path / "sf" / "LeadOwnerUpdate.csv").exists()
    (tmp_path / "leads.csv").write_text(SALESFORCE_LEADS)
    assert cli("route", "leads.csv", "--plan", "plan.yaml", "--mapping", "salesforce").returncode == 0
    refused = cli("export", "decisions", "--run", "2", "--format", "hubspot", "--out-dir", "hs")
    assert refused.returncode == 2 and "came from Salesforce" in refused.stderr
    assert "use --format salesforce" in refused.stderr


def test_ids_excel_wrote_as_numbers_and_both_forms_of_a_salesforce_id(tmp_path: Path) -> None:
    cli = crm_workspace(tmp_path, "hubspot")
    (tmp_path / "excel.csv").write_text(
        "Record ID,State/Region,Country/Region\n7.0000000102E+10,SP,Brazil\n70000000103.0,SP,Brazil\n"
    )
    said = cli("route", "excel.csv", "--plan", "plan.yaml", "--mapping", "hubspot", "--out", "d.csv")
    assert said.returncode == 0, said.stderr
    assert (
        "excel.csv:2 [Record ID]: Excel wrote the id as 7.0000000102E+10; read as 70000000102" in said.stderr
    )
    assert [row["lead_id"] for row in rows(tmp_path / "d.csv")] == ["70000000102", "70000000103"]
    (tmp_path / "lost.csv").write_text("Record ID,State/Region\n70000000104,SP\n7.00000001E+10,SP\n")
    lost = cli("route", "lost.csv", "--plan", "plan.yaml", "--mapping", "hubspot")
    assert lost.returncode == 2 and "lost.csv:3 [Record ID]" in lost.stderr
    assert "formatted as Text" in lost.stderr
    # A Salesforce lead from a report (15 characters) and from Data Loader (18) is one lead.
    (tmp_path / "report.csv").write_text("Id,State,Country\n00Q5g00000AbCdE,SP,Brazil\n")
    (tmp_path / "loader.csv").write_text("Id,State,Country\n00Q5g00000AbCdEEAV,SP,Brazil\n")
    assert cli("route", "report.csv", "--plan", "plan.yaml", "--mapping", "salesforce").returncode == 0
    again = cli("route", "loader.csv", "--plan", "plan.yaml", "--mapping", "salesforce")
    assert "every lead was already routed" in again.stderr


def test_another_entitys_export_is_refused_by_route_as_by_import_leads(tmp_path: Path) -> None:
    """One check for both: a HubSpot companies export, which `import leads` took before."""
    cli = crm_workspace(tmp_path, "hubspot")
    companies = CRM / "hubspot_companies_inc5000.csv"
    said = "a HubSpot export of accounts, not of leads: it has accounts columns (Company Domain Name"
    imported = cli("import", "leads", companies, "--mapping", "hubspot")
    assert imported.returncode == 2 and said in imported.stderr and "--force" in imported.stderr
    routed = cli("route", companies, "--plan", "plan.yaml", "--mapping", "hubspot")
    assert routed.returncode == 2 and said in routed.stderr, routed.stderr
    assert f"{companies}:1 [Record ID]" in routed.stderr and "route takes a leads export" in routed.stderr
    # A users export has no lead id at all: its message says what it looks like too.
    users = cli("route", CRM / "hubspot_users_crm.csv", "--plan", "plan.yaml", "--mapping", "hubspot")
    assert users.returncode == 2 and "hubspot_users_crm.csv:1" in users.stderr
    assert "this looks like a HubSpot export of reps, not of leads" in users.stderr
