"""#24's round trip, as a HubSpot and a Salesforce admin would do it: real Olist leads exported with
each CRM's own headers are routed as exported, and the owner update written back names owners the
way each CRM's import accepts them. Nothing is hand-edited in between."""

from __future__ import annotations

import csv
import shutil
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
