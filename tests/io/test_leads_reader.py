"""Reading leads (io.leads): one id per lead, damaged ids refused, problems named by the file's headers."""

from __future__ import annotations

from pathlib import Path

import pytest

from territorial.domain.leads import lead_key, number_id
from territorial.errors import BadInput
from territorial.io.leads import read_leads, typed_lead


def test_a_15_character_salesforce_lead_id_becomes_its_18_character_form() -> None:
    # By hand: '00Q5g' has one capital at position 2 (4 -> E), '00000' none (A), '000DD' capitals at
    # 3 and 4 (8 + 16 = 24 -> Y).
    assert lead_key("00Q5g00000000DD") == "00Q5g00000000DDEAY"
    assert lead_key(" 00Q5g00000000DDEAY ") == "00Q5g00000000DDEAY"
    assert lead_key("0015g0000000007") == "0015g0000000007"  # an Account id is no lead's
    assert lead_key("30886985064") == "30886985064"


def test_the_two_forms_of_one_salesforce_id_read_as_the_same_lead(tmp_path: Path) -> None:
    path = tmp_path / "leads.csv"
    path.write_text("lead_id,state\n00Q5g00000000DD,CA\nL-2,NY\n")
    _raw, typed, _warnings = read_leads(path, {})
    assert typed.get_column("lead_id").to_list() == ["00Q5g00000000DDEAY", "L-2"]
    assert typed_lead({"lead_id": "00Q5g00000000DD", "state": "CA"}, {})["lead_id"] == "00Q5g00000000DDEAY"


def test_ids_a_spreadsheet_wrote_as_numbers_are_read_back_when_whole_else_refused_line_by_line(
    tmp_path: Path,
) -> None:
    path = tmp_path / "contacts.csv"
    path.write_text("lead_id,state\n70000000101,CA\n7.0000000102E+10,CA\n70000000103.0,NY\n")
    _raw, typed, warnings = read_leads(path, {})
    assert typed.get_column("lead_id").to_list() == ["70000000101", "70000000102", "70000000103"]
    assert [(w.location.line, w.location.subject) for w in warnings] == [(3, "lead_id"), (4, "lead_id")]
    assert "Excel wrote the id as 7.0000000102E+10; read as 70000000102" in warnings[0].message
    # Digits rounded away (7.00000001E+10 is 700000001 and two digits nobody knows): refused.
    path.write_text("lead_id,state\n70000000101,CA\n7.00000001E+10,CA\n7.0000000102E+10,NY\n7E+10,NY\n")
    with pytest.raises(BadInput) as raised:
        read_leads(path, {})
    problems = raised.value.problems
    assert [p.location.line for p in problems] == [3, 5]
    assert "scientific notation" in problems[0].message and "7.00000001E+10" in problems[0].message
    assert "formatted as Text" in problems[0].message and str(path) in str(problems[0].location.file)
    assert typed_lead({"lead_id": "7.0000000102E+10", "state": "CA"}, {})["lead_id"] == "70000000102"
    with pytest.raises(BadInput, match="scientific notation"):
        typed_lead({"lead_id": "7.00000001E+10", "state": "CA"}, {})


def test_an_id_read_back_from_a_number_is_the_same_lead_as_its_text(tmp_path: Path) -> None:
    path = tmp_path / "contacts.csv"
    path.write_text("lead_id,state\n70000000102,CA\n7.0000000102E+10,CA\n")
    with pytest.raises(BadInput, match="duplicate lead_id '70000000102' on line 2 and line 3"):
        read_leads(path, {})


@pytest.mark.parametrize(
    ("written", "read"),
    [
        ("7.0000000102E+10", "70000000102"),
        ("3.0886985064e10", "30886985064"),
        ("70000000103.00", "70000000103"),
        ("7.00000001E+10", None),  # two digits lost
        ("7.00000001025E+10", None),  # no whole number
        ("1.23456789012345678E+17", None),  # past a spreadsheet's 15 digits
        ("L-1", None),
    ],
)
def test_number_id_reads_back_only_a_number_holding_every_digit(written: str, read: str | None) -> None:
    assert number_id(written) == read


def test_a_bad_value_in_a_crm_export_is_named_by_the_exports_header(tmp_path: Path) -> None:
    path = tmp_path / "contacts.csv"
    path.write_text("Record ID,Create Date,Number of Employees\n1,someday,12\n2,2018-05-01,many\n")
    with pytest.raises(BadInput) as raised:
        read_leads(path, {}, "hubspot")
    assert [(p.location.line, p.location.subject) for p in raised.value.problems] == [
        (2, "Create Date"),
        (3, "Number of Employees"),
    ]


def test_one_lead_by_both_its_salesforce_ids_is_one_lead_twice(tmp_path: Path) -> None:
    path = tmp_path / "leads.csv"
    path.write_text("Id,State\n00Q5g00000AbCdEEAV,CA\n00Q5g00000AbCdE,CA\n")
    said = r"duplicate lead_id '00Q5g00000AbCdEEAV' on line 2 and line 3"
    with pytest.raises(BadInput, match=said) as raised:
        read_leads(path, {}, "salesforce")
    assert raised.value.problems[0].location.line == 3


def test_an_18_character_id_whose_case_a_tool_lost_gets_it_back() -> None:
    assert lead_key("00q5g00000abcdeeav") == "00Q5g00000AbCdEEAV"
    assert lead_key("00Q5G00000ABCDEEAV") == "00Q5g00000AbCdEEAV"
    # Mixed case that disagrees with its suffix is no tool's doing: kept as written.
    assert lead_key("00Q5g00000000DD354") == "00Q5g00000000DD354"


def test_a_salesforce_leads_report_is_read_by_its_labels(tmp_path: Path) -> None:
    path = tmp_path / "report.csv"
    path.write_text(
        "Lead ID,Company / Account,State/Province,Zip/Postal Code,Create Date,Lead Owner,Converted,"
        "Lead Status\n"
        "00Q5g00000AbCdE,Acme,California,94105,5/1/2018,Ann Lee,0,Open\n"
    )
    _raw, typed, _warnings = read_leads(path, {}, "salesforce")
    row = typed.row(0, named=True)
    assert row["lead_id"] == "00Q5g00000AbCdEEAV" and row["company"] == "Acme" and row["state"] == "CA"
    assert row["postal_code"] == "94105" and str(row["created"]) == "2018-05-01"
    assert row["owner_id"] == "Ann Lee" and row["converted"] is False
