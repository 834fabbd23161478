"""The delta export's files (io.delta_files): the Salesforce files' exact columns, deletes by Id from
an associations export or by the SOQL that fetches them, owner updates, the unowned and HubSpot's."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from territorial.domain.choices import Crm, ExportFormat
from territorial.engine.live_changes import CHANGE_COLUMNS, GONE
from territorial.errors import BadInput
from territorial.io.delta_files import delta_files

NET = pl.DataFrame(
    [
        ("A-1", "primary", "WEST", "bob", "EAST", "dee", "override by a planner: named"),
        ("A-2", "primary", "WEST", "bob", "WEST", "cy", "bob left; pool WEST shared it out"),
        ("A-3", "primary", "EAST", "dee", "SOUTH", None, "industry changed"),
        ("A-4", "primary", "EAST", "dee", None, None, GONE),
        ("A-5", "security", None, None, "SEC", "sam", "new account"),
    ],
    schema=dict.fromkeys(CHANGE_COLUMNS, pl.String),
    orient="row",
)
TERRITORY_IDS = "territory_id,salesforce_id\n" + "".join(
    f"{territory},0MI00000000000{n}\n"
    for n, territory in enumerate(["WEST", "EAST", "SOUTH", "SEC"], start=1)
)


def _lines(data: bytes) -> list[str]:
    return data.decode("utf-8").splitlines()


def _ids(tmp_path: Path) -> Path:
    path = tmp_path / "territory_ids.csv"
    path.write_text(TERRITORY_IDS)
    return path


def test_salesforce_moves_are_inserts_and_deletes_by_id_and_owner_changes_one_row_per_account(
    tmp_path: Path,
) -> None:
    associations = tmp_path / "associations.csv"
    associations.write_text(
        "Id,ObjectId,Territory2Id\n"
        "0MA000000000011,A-1,0MI000000000001\n"
        "0MA000000000013,A-3,0MI000000000002\n"
        "0MA000000000099,A-9,0MI000000000002\n"
    )
    built = delta_files(
        NET,
        ExportFormat.SALESFORCE,
        vacant_owner="jane",
        territory_ids=_ids(tmp_path),
        rep_id_source=Crm.SALESFORCE,
        associations=associations,
        deactivated=GONE,
    )
    assert _lines(built.files["ObjectTerritory2Association_insert.csv"]) == [
        "ObjectId,Territory2Id,AssociationCause",
        "A-1,0MI000000000002,Territory2Manual",
        "A-3,0MI000000000003,Territory2Manual",
        "A-5,0MI000000000004,Territory2Manual",
    ]
    # A-4's association (EAST) is not in the export: counted, not invented.
    assert _lines(built.files["ObjectTerritory2Association_delete.csv"]) == [
        "Id",
        "0MA000000000011",
        "0MA000000000013",
    ]
    assert (built.deletes, built.not_found) == (2, 1)
    # The deactivated A-4 keeps its CRM owner; the vacant A-3 takes the fallback owner.
    assert _lines(built.files["AccountOwnerUpdate.csv"]) == ["Id,OwnerId", "A-1,dee", "A-2,cy", "A-3,jane"]
    assert _lines(built.files["Unowned.csv"]) == [
        "account_id,territory_id,why,owner",
        "A-3,SOUTH,vacant territory,jane",
    ]
    assert list(built.files) == [
        "ObjectTerritory2Association_insert.csv",
        "ObjectTerritory2Association_delete.csv",
        "AccountOwnerUpdate.csv",
        "Unowned.csv",
    ]


def test_without_associations_a_readme_holds_the_soql_that_fetches_the_ids(tmp_path: Path) -> None:
    built = delta_files(NET, ExportFormat.SALESFORCE, rep_id_source=Crm.SALESFORCE, deactivated=GONE)
    readme = built.files["ObjectTerritory2Association_delete_README.txt"].decode()
    assert "SELECT Id, ObjectId, Territory2Id FROM ObjectTerritory2Association WHERE " in readme
    assert "Territory2.DeveloperName = 'EAST' AND ObjectId IN ('A-3', 'A-4')" in readme
    assert "Territory2.DeveloperName = 'WEST' AND ObjectId IN ('A-1')" in readme
    assert _lines(built.files["ObjectTerritory2Association_insert.csv"])[0] == (
        "ObjectId,Territory2.DeveloperName,AssociationCause"
    )
    # No fallback owner set: the vacant account is listed and keeps its CRM owner.
    assert _lines(built.files["AccountOwnerUpdate.csv"]) == ["Id,OwnerId", "A-1,dee", "A-2,cy"]
    assert _lines(built.files["Unowned.csv"])[1] == "A-3,SOUTH,vacant territory,"


def test_hubspot_gets_the_owner_update_and_csv_every_row(tmp_path: Path) -> None:
    user_ids = tmp_path / "owners.csv"
    user_ids.write_text("rep_id,hubspot_owner_id\ndee,41\ncy,42\njane,43\n")
    built = delta_files(NET, ExportFormat.HUBSPOT, vacant_owner="jane", user_ids=user_ids, deactivated=GONE)
    assert _lines(built.files["hubspot_company_owner_update.csv"]) == [
        "Record ID,Company owner",
        "A-1,41",
        "A-2,42",
        "A-3,43",
    ]
    rows = _lines(delta_files(NET, ExportFormat.CSV).files["changes.csv"])
    assert rows[0] == ",".join(CHANGE_COLUMNS) and len(rows) == 1 + NET.height


def test_associations_need_territory_ids_and_well_formed_ids(tmp_path: Path) -> None:
    associations = tmp_path / "associations.csv"
    associations.write_text("Id,ObjectId,Territory2Id\nnot-an-id,A-1,0MI000000000001\n")
    with pytest.raises(BadInput, match="give --territory-ids too"):
        delta_files(NET, ExportFormat.SALESFORCE, rep_id_source=Crm.SALESFORCE, associations=associations)
    with pytest.raises(BadInput, match="'not-an-id' is not a Salesforce Id"):
        delta_files(
            NET,
            ExportFormat.SALESFORCE,
            rep_id_source=Crm.SALESFORCE,
            associations=associations,
            territory_ids=_ids(tmp_path),
        )
    with pytest.raises(BadInput, match="--associations is read by the salesforce format only"):
        delta_files(NET, ExportFormat.HUBSPOT, rep_id_source=Crm.HUBSPOT, associations=associations)
