"""`export_assignments`: each format's exact bytes, mapping errors, developer names, formula escaping."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from territorial.errors import BadInput
from territorial.io.exports import developer_name, export_assignments, formula_safe

ROW_SCHEMA = {
    "account_id": pl.String,
    "layer": pl.String,
    "territory_id": pl.String,
    "territory_name": pl.String,
    "rep_id": pl.String,
    "overlaps": pl.String,
    "tie": pl.Boolean,
    "reason": pl.String,
    "workload": pl.Float64,
}

# Salesforce-shaped ids (18 letters and digits).
T_EAST = "0MI5e000000EAST1AA"
T_NAMED = "0MI5e00000NAMED1AA"
T_SEC = "0MI5e000000SEC01AA"
T_VACANT = "0MI5e00000VACNT1AA"
U_REP2 = "0055e0000000REP2AA"
U_REP9 = "0055e0000000REP9AA"


def assignment_rows(*rows: tuple[Any, ...]) -> pl.DataFrame:
    return pl.DataFrame(list(rows), schema=ROW_SCHEMA, orient="row")


def book() -> pl.DataFrame:
    """A small result in deliberately scrambled order: two layers besides primary, a tie, an
    unassigned account and a vacant territory (assigned, no rep)."""
    return assignment_rows(
        ("A-2", "security", "SEC", "Security", "rep-5", "", False, "products match", 2.0),
        ("A-3", "primary", None, None, None, "", False, "no territory matched", 0.0),
        ("A-2", "primary", "AMER-EAST.HC", "East Healthcare", "rep-2", "NAMED", True, "tie", 2.0),
        ("A-4", "primary", "VACANT", "Vacant", None, "", False, "no reps", 1.0),
        ("A-2", "overlay", "OVL", "Overlay", "rep-7", "", False, "overlay", 2.0),
        ("A-1", "primary", "NAMED", "Named, Inc.", "rep-9", "", False, "named account", 1.5),
    )


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8", newline="")
    return path


def territory_map(tmp_path: Path) -> Path:
    return write(
        tmp_path / "territory_ids.csv",
        f"territory_id,salesforce_id\nAMER-EAST.HC,{T_EAST}\nNAMED,{T_NAMED}\nSEC,{T_SEC}\n"
        f"VACANT,{T_VACANT}\nOVL,0MI5e0000000OVL1AA\nUNUSED,0MI5e00000UNUSE1AA\n",
    )


def user_map(tmp_path: Path) -> Path:
    return write(
        tmp_path / "users.csv",
        f"rep_id,salesforce_user_id,hubspot_owner_id\nrep-2,{U_REP2},102\nrep-9,{U_REP9},109\n"
        "rep-5,0055e0000000REP5AA,105\n",
    )


def read(path: Path) -> str:
    return path.read_bytes().decode("utf-8")


# ---- csv and parquet ------------------------------------------------------------------


def test_csv_has_every_row_sorted_by_account_then_primary_first(tmp_path: Path) -> None:
    written = export_assignments(book(), "csv", tmp_path / "out")
    assert written == [tmp_path / "out" / "assignments.csv"]
    assert read(written[0]) == (
        "account_id,layer,territory_id,territory_name,rep_id,overlaps,tie,reason,workload\n"
        'A-1,primary,NAMED,"Named, Inc.",rep-9,"",false,named account,1.5\n'
        "A-2,primary,AMER-EAST.HC,East Healthcare,rep-2,NAMED,true,tie,2.0\n"
        'A-2,overlay,OVL,Overlay,rep-7,"",false,overlay,2.0\n'
        'A-2,security,SEC,Security,rep-5,"",false,products match,2.0\n'
        'A-3,primary,,,,"",false,no territory matched,0.0\n'
        'A-4,primary,VACANT,Vacant,,"",false,no reps,1.0\n'
    )


def test_parquet_keeps_types_and_order(tmp_path: Path) -> None:
    [path] = export_assignments(book(), "parquet", tmp_path)
    assert path == tmp_path / "assignments.parquet"
    back = pl.read_parquet(path)
    assert back.schema == pl.Schema(ROW_SCHEMA)
    assert back.select("account_id", "layer").rows() == [
        ("A-1", "primary"),
        ("A-2", "primary"),
        ("A-2", "overlay"),
        ("A-2", "security"),
        ("A-3", "primary"),
        ("A-4", "primary"),
    ]


def test_parquet_is_not_formula_escaped(tmp_path: Path) -> None:
    rows = assignment_rows(("=1+1", "primary", "T", "@name", None, "", False, "-x", -1.0))
    [path] = export_assignments(rows, "parquet", tmp_path)
    assert pl.read_parquet(path).row(0)[:4] == ("=1+1", "primary", "T", "@name")


def test_account_ids_sort_in_binary_order(tmp_path: Path) -> None:
    ids = ["b", "é", "B", "a10", "a2", "Z", "_"]
    rows = assignment_rows(*[(i, "primary", None, None, None, "", False, "", 0.0) for i in ids])
    [path] = export_assignments(rows, "csv", tmp_path)
    assert [line.split(",")[0] for line in read(path).splitlines()[1:]] == sorted(
        ids, key=lambda s: s.encode("utf-8")
    )


# ---- salesforce ----------------------------------------------------------------------


def test_salesforce_with_territory_and_user_ids(tmp_path: Path) -> None:
    written = export_assignments(
        book(),
        "salesforce",
        tmp_path / "sf",
        territory_ids=territory_map(tmp_path),
        user_ids=user_map(tmp_path),
    )
    assert written == [
        tmp_path / "sf" / "ObjectTerritory2Association.csv",
        tmp_path / "sf" / "AccountOwnerUpdate.csv",
        tmp_path / "sf" / "owner_update_skipped.csv",
    ]
    assert read(written[0]) == (
        "ObjectId,Territory2Id,AssociationCause\n"
        f"A-1,{T_NAMED},Territory2Manual\n"
        f"A-2,{T_EAST},Territory2Manual\n"
        "A-2,0MI5e0000000OVL1AA,Territory2Manual\n"
        f"A-2,{T_SEC},Territory2Manual\n"
        f"A-4,{T_VACANT},Territory2Manual\n"
    )
    # Only primary-layer rows with a rep: no row for the unassigned A-3 or the vacant A-4.
    assert read(written[1]) == f"Id,OwnerId\nA-1,{U_REP9}\nA-2,{U_REP2}\n"
    assert read(written[2]) == (
        "account_id,territory_id,why\nA-3,,no primary territory\nA-4,VACANT,vacant territory\n"
    )


def test_salesforce_without_territory_ids_names_territories_by_developer_name(tmp_path: Path) -> None:
    export_assignments(book(), "salesforce", tmp_path, user_ids=user_map(tmp_path))
    assert read(tmp_path / "ObjectTerritory2Association.csv") == (
        "ObjectId,Territory2.DeveloperName,AssociationCause\n"
        "A-1,NAMED,Territory2Manual\n"
        "A-2,AMER_EAST_HC,Territory2Manual\n"
        "A-2,OVL,Territory2Manual\n"
        "A-2,SEC,Territory2Manual\n"
        "A-4,VACANT,Territory2Manual\n"
    )


def test_salesforce_reps_that_are_salesforce_users_are_written_as_is(tmp_path: Path) -> None:
    rows = assignment_rows(
        ("001A", "primary", "T1", "One", U_REP2, "", False, "", 1.0),
        ("001B", "primary", "T1", "One", None, "", False, "", 1.0),
    )
    export_assignments(rows, "salesforce", tmp_path, rep_id_source="salesforce")
    assert read(tmp_path / "AccountOwnerUpdate.csv") == f"Id,OwnerId\n001A,{U_REP2}\n"


def test_salesforce_without_any_rep_writes_a_header_only_owner_file(tmp_path: Path) -> None:
    rows = assignment_rows(("001A", "primary", "T1", "One", None, "", False, "", 1.0))
    export_assignments(rows, "salesforce", tmp_path)  # no user mapping is needed: nothing to map
    assert read(tmp_path / "AccountOwnerUpdate.csv") == "Id,OwnerId\n"


def test_unmapped_territories_are_named_with_the_mapping_file(tmp_path: Path) -> None:
    mapping = write(tmp_path / "tids.csv", f"territory_id,salesforce_id\nNAMED,{T_NAMED}\n")
    with pytest.raises(BadInput) as caught:
        export_assignments(
            book(), "salesforce", tmp_path / "out", territory_ids=mapping, user_ids=user_map(tmp_path)
        )
    assert str(caught.value) == "\n".join(
        f"{mapping} [{t}]: territory {t} has no salesforce_id here; add a row: {t},<Territory2 Id>"
        for t in ["AMER-EAST.HC", "OVL", "SEC", "VACANT"]
    )
    assert not (tmp_path / "out").exists()  # nothing written when the input is bad


def test_unmapped_reps_are_listed(tmp_path: Path) -> None:
    mapping = write(tmp_path / "users.csv", f"rep_id,salesforce_user_id\nrep-9,{U_REP9}\n")
    with pytest.raises(BadInput) as caught:
        export_assignments(book(), "salesforce", tmp_path / "out", user_ids=mapping)
    assert [p.location.subject for p in caught.value.problems] == ["rep-2"]
    assert str(caught.value) == (
        f"{mapping} [rep-2]: rep rep-2 has no salesforce_user_id here; add a row: rep-2,<Salesforce User Id>"
    )
    assert not (tmp_path / "out").exists()


def test_without_user_ids_the_error_explains_both_options(tmp_path: Path) -> None:
    with pytest.raises(BadInput) as caught:
        export_assignments(book(), "salesforce", tmp_path)
    message = str(caught.value)
    assert "--user-ids FILE with columns rep_id, salesforce_user_id" in message
    assert "--rep-ids-from salesforce" in message


def test_a_mapped_value_that_is_not_a_salesforce_id_is_located(tmp_path: Path) -> None:
    # Columns swapped by hand: the rep id sits where the User Id belongs.
    mapping = write(tmp_path / "users.csv", f"salesforce_user_id,rep_id\nrep-2,{U_REP2}\nrep-9,{U_REP9}\n")
    with pytest.raises(BadInput) as caught:
        export_assignments(book(), "salesforce", tmp_path, user_ids=mapping)
    first = caught.value.problems[0]
    assert (first.location.file, first.location.line, first.location.subject) == (
        str(mapping),
        2,
        "salesforce_user_id",
    )
    assert "'rep-2' is not a Salesforce Id" in first.message


def test_mapping_columns_ignore_case_and_cells_are_trimmed(tmp_path: Path) -> None:
    mapping = write(
        tmp_path / "users.csv", f"Rep_ID,SALESFORCE_USER_ID\n rep-2 , {U_REP2} \nrep-9,{U_REP9}\n"
    )
    export_assignments(book(), "salesforce", tmp_path, user_ids=mapping)
    assert read(tmp_path / "AccountOwnerUpdate.csv") == f"Id,OwnerId\nA-1,{U_REP9}\nA-2,{U_REP2}\n"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("rep_id\nrep-2\n", "expected columns rep_id and salesforce_user_id; salesforce_user_id missing"),
        (
            f"rep_id,salesforce_user_id\nrep-2,\nrep-9,{U_REP9}\n",
            "salesforce_user_id is empty for rep_id rep-2",
        ),
        (
            f"rep_id,salesforce_user_id\nrep-2,{U_REP2}\nrep-2,{U_REP9}\n",
            "rep_id rep-2 appears again with a different salesforce_user_id",
        ),
    ],
)
def test_bad_mapping_files(tmp_path: Path, text: str, expected: str) -> None:
    mapping = write(tmp_path / "users.csv", text)
    with pytest.raises(BadInput) as caught:
        export_assignments(book(), "salesforce", tmp_path / "out", user_ids=mapping)
    assert expected in str(caught.value)
    assert caught.value.problems[0].location.file == str(mapping)


def test_a_missing_mapping_file_is_bad_input(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="file not found"):
        export_assignments(book(), "salesforce", tmp_path, territory_ids=tmp_path / "nope.csv")


# ---- developer names -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("territory_id", "expected"),
    [
        ("AMER-EAST.HC", "AMER_EAST_HC"),
        ("AMER_EAST", "AMER_EAST"),
        ("a--b__c..d", "a_b_c_d"),
        ("-EMEA-", "EMEA"),
        ("2027-East", "T_2027_East"),
        ("_9", "T_9"),
        ("Zürich / Genève", "Zurich_Geneve"),
        ("東京", "T"),
        ("x" * 100, "x" * 80),
        ("A" + "-" * 78 + "B" + "C" * 10, "A_B" + "C" * 10),  # the limit counts the collapsed name
        ("A" * 79 + "-B", "A" * 79),  # cut at 80 would leave a trailing underscore
    ],
)
def test_developer_name(territory_id: str, expected: str) -> None:
    assert developer_name(territory_id) == expected


VALID_DEVELOPER_NAME = re.compile(r"[A-Za-z](?:[A-Za-z0-9]|_(?=[A-Za-z0-9]))*")


@given(st.text(max_size=120))
def test_every_developer_name_is_valid_for_salesforce(territory_id: str) -> None:
    name = developer_name(territory_id)
    assert VALID_DEVELOPER_NAME.fullmatch(name), name
    assert len(name) <= 80


def test_colliding_developer_names_are_an_error(tmp_path: Path) -> None:
    rows = assignment_rows(
        ("A-1", "primary", "AMER-EAST", "East", None, "", False, "", 1.0),
        ("A-2", "primary", "AMER.EAST", "East too", None, "", False, "", 1.0),
        ("A-3", "primary", "amer_east", "east", None, "", False, "", 1.0),
        ("A-4", "primary", "WEST", "West", None, "", False, "", 1.0),
    )
    with pytest.raises(BadInput) as caught:
        export_assignments(rows, "salesforce", tmp_path / "out")
    assert str(caught.value) == (
        "<input> [AMER_EAST]: territories 'AMER-EAST' and 'AMER.EAST' and 'amer_east' all become the "
        "Salesforce developer name AMER_EAST; rename one, or give --territory-ids with their Territory2 Ids"
    )
    assert not (tmp_path / "out").exists()


def test_colliding_developer_names_are_fine_with_territory_ids(tmp_path: Path) -> None:
    rows = assignment_rows(
        ("A-1", "primary", "AMER-EAST", "East", None, "", False, "", 1.0),
        ("A-2", "primary", "AMER.EAST", "East too", None, "", False, "", 1.0),
    )
    mapping = write(
        tmp_path / "t.csv", f"territory_id,salesforce_id\nAMER-EAST,{T_EAST}\nAMER.EAST,{T_SEC}\n"
    )
    export_assignments(rows, "salesforce", tmp_path, territory_ids=mapping)
    assert read(tmp_path / "ObjectTerritory2Association.csv") == (
        f"ObjectId,Territory2Id,AssociationCause\nA-1,{T_EAST},Territory2Manual\nA-2,{T_SEC},Territory2Manual\n"
    )


# ---- hubspot -------------------------------------------------------------------------


def test_hubspot_owner_update_from_a_user_mapping(tmp_path: Path) -> None:
    rows = assignment_rows(
        ("9002", "primary", "T1", "One", "rep-2", "", False, "", 1.0),
        ("9001", "primary", "T2", "Two", "rep-9", "", False, "", 1.0),
        ("9001", "security", "S", "Sec", "rep-5", "", False, "", 1.0),  # overlays do not own
        ("9003", "primary", None, None, None, "", False, "", 1.0),
    )
    written = export_assignments(rows, "hubspot", tmp_path, user_ids=user_map(tmp_path))
    assert written == [tmp_path / "hubspot_company_owner_update.csv", tmp_path / "owner_update_skipped.csv"]
    assert read(written[0]) == "Record ID,Company owner\n9001,109\n9002,102\n"
    # An account its rep already owns is left out: the import changes only what changes.
    export_assignments(
        rows, "hubspot", tmp_path, user_ids=user_map(tmp_path), current_owners={"9001": "rep-9"}
    )
    assert read(written[0]) == "Record ID,Company owner\n9002,102\n"


def test_hubspot_reps_from_hubspot_are_owner_ids_already(tmp_path: Path) -> None:
    rows = assignment_rows(("9001", "primary", "T2", "Two", "55501", "", False, "", 1.0))
    export_assignments(rows, "hubspot", tmp_path, rep_id_source="hubspot")
    assert read(tmp_path / "hubspot_company_owner_update.csv") == "Record ID,Company owner\n9001,55501\n"


def test_hubspot_owner_ids_may_come_from_a_parquet_mapping_of_numbers(tmp_path: Path) -> None:
    mapping = tmp_path / "owners.parquet"
    pl.DataFrame({"rep_id": ["rep-2"], "hubspot_owner_id": [1234567]}).write_parquet(mapping)
    rows = assignment_rows(("9002", "primary", "T1", "One", "rep-2", "", False, "", 1.0))
    export_assignments(rows, "hubspot", tmp_path, user_ids=mapping)
    assert read(tmp_path / "hubspot_company_owner_update.csv") == "Record ID,Company owner\n9002,1234567\n"


def test_hubspot_reps_from_salesforce_still_need_a_mapping(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="--rep-ids-from hubspot"):
        export_assignments(book(), "hubspot", tmp_path, rep_id_source="salesforce")


# ---- options -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "options", "expected"),
    [
        ("csv", {"territory_ids": Path("t.csv")}, "--territory-ids is used only by the salesforce export"),
        (
            "hubspot",
            {"territory_ids": Path("t.csv")},
            "--territory-ids is used only by the salesforce export",
        ),
        ("parquet", {"user_ids": Path("u.csv")}, "--user-ids is used only by the CRM exports"),
        ("csv", {"rep_id_source": "salesforce"}, "--rep-ids-from is used only by the CRM exports"),
        ("salesforce", {"user_ids": Path("u.csv"), "rep_id_source": "salesforce"}, "not both"),
        ("hubspot", {"user_ids": Path("u.csv"), "rep_id_source": "hubspot"}, "not both"),
        ("xlsx", {}, "unknown export format 'xlsx'"),
    ],
)
def test_options_the_format_cannot_use_are_bad_input(
    tmp_path: Path, fmt: Any, options: dict[str, Any], expected: str
) -> None:
    with pytest.raises(BadInput, match=re.escape(expected)):
        export_assignments(book(), fmt, tmp_path / "out", **options)
    assert not (tmp_path / "out").exists()


def test_an_out_dir_that_is_a_file_is_bad_input(tmp_path: Path) -> None:
    blocker = write(tmp_path / "taken", "x")
    with pytest.raises(BadInput, match="this is a file; this option names a folder"):
        export_assignments(book(), "csv", blocker)


# ---- formula injection ---------------------------------------------------------------


def test_text_cells_that_start_like_a_formula_are_escaped(tmp_path: Path) -> None:
    rows = assignment_rows(
        ("+1-555", "primary", "T1", '=HYPERLINK("http://evil","x")', "@rep", "-T2", False, "\tcmd", -3.5),
        ("A-1", "primary", "T2", "plain - name", "rep", "a=b", False, "\rx", 0.0),
    )
    [path] = export_assignments(rows, "csv", tmp_path)
    assert read(path) == (
        "account_id,layer,territory_id,territory_name,rep_id,overlaps,tie,reason,workload\n"
        """'+1-555,primary,T1,"'=HYPERLINK(""http://evil"",""x"")",'@rep,'-T2,false,'\tcmd,-3.5\n"""
        """A-1,primary,T2,plain - name,rep,a=b,false,"'\rx",0.0\n"""
    )


def test_crm_files_are_escaped_too(tmp_path: Path) -> None:
    rows = assignment_rows(("=cmd|'/c calc'!A0", "primary", "T1", "One", "55501", "", False, "", 1.0))
    export_assignments(rows, "hubspot", tmp_path, rep_id_source="hubspot")
    assert read(tmp_path / "hubspot_company_owner_update.csv") == (
        "Record ID,Company owner\n'=cmd|'/c calc'!A0,55501\n"
    )


def test_formula_safe_leaves_numbers_and_nulls_alone() -> None:
    frame = pl.DataFrame({"text": ["-1", None, "ok"], "number": [-1.0, None, 2.0]})
    assert formula_safe(frame).to_dict(as_series=False) == {
        "text": ["'-1", None, "ok"],
        "number": [-1.0, None, 2.0],
    }


# ---- determinism ---------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "parquet", "salesforce", "hubspot"])
def test_same_rows_in_any_order_give_identical_bytes(tmp_path: Path, fmt: Any) -> None:
    options: dict[str, Any] = {"user_ids": user_map(tmp_path)} if fmt in ("salesforce", "hubspot") else {}
    outputs = [
        export_assignments(rows, fmt, tmp_path / str(n), **options)
        for n, rows in enumerate(
            [book(), book().reverse(), book().sample(fraction=1.0, shuffle=True, seed=7)]
        )
    ]
    rewritten = export_assignments(book(), fmt, tmp_path / "0", **options)  # over an earlier export
    outputs.append(rewritten)
    names = {tuple(p.name for p in paths) for paths in outputs}
    contents = {tuple(p.read_bytes() for p in paths) for paths in outputs}
    assert len(names) == 1
    assert len(contents) == 1
