"""CRM column mappings: built-in Salesforce, HubSpot and plain mappings, and custom mapping files."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from conftest import shared_data
from territorial.domain.entities import Entity
from territorial.errors import BadInput
from territorial.io.crm_mappings import (
    BUILTIN_MAPPINGS,
    ColumnMapping,
    MappedTable,
    apply_mapping,
    builtin_covers,
    builtin_mapping,
    crm_export_hint,
    file_mapping,
    load_mapping,
    mapping_for,
    parse_mapping,
)
from territorial.io.tables import read_table

CRM = Path(__file__).resolve().parents[1] / "data" / "crm"

ACC, REP, OPP, LEAD = Entity.ACCOUNTS, Entity.REPS, Entity.OPPORTUNITIES, Entity.LEADS


def mapped(file: str, mapping: str | Path | None, entity: Entity) -> MappedTable:
    return apply_mapping(read_table(CRM / file), mapping_for(mapping, entity))


def bad_input(call: object, *args: object) -> BadInput:
    assert callable(call)
    with pytest.raises(BadInput) as caught:
        call(*args)
    return caught.value


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# ---- built-in mappings on their fixtures -----------------------------------------------------

LEAD_FIELDS = [
    "lead_id", "first_name", "last_name", "email", "company", "website", "country", "state", "postal_code",
    "industry", "employees", "source", "inquiry", "created",
]  # fmt: skip


@pytest.mark.parametrize(
    ("file", "mapping", "entity", "fields", "custom"),
    [
        (
            "sf_accounts_fortune1000.csv",
            "salesforce",
            ACC,
            ["account_id", "name", "website", "industry", "employees", "annual_revenue", "type", "parent_id",
             "owner_id", "street", "city", "state", "postal_code", "country", "latitude", "longitude"],
            ["ticker__c", "createddate"],  # IsDeleted is bookkeeping the built-in ignores
        ),
        (
            "hubspot_companies_inc5000.csv",
            "hubspot",
            ACC,
            ["account_id", "name", "website", "industry", "employees", "annual_revenue", "city", "state",
             "postal_code", "country"],
            # "Company owner" is a name: owner_name, found among the reps by name (not an owner_id).
            ["owner_name", "create_date", "lifecycle_stage", "last_activity_date", "growth_rate"],
        ),
        (
            "plain_accounts_crm.csv",
            None,
            ACC,
            ["account_id", "name", "industry", "employees", "annual_revenue", "parent_id", "country"],
            ["year_established"],
        ),
        (
            "sf_users_crm.csv",
            "salesforce",
            REP,
            ["rep_id", "name", "email", "role", "team", "manager_id", "home_postal_code", "latitude",
             "longitude", "active"],
            [],
        ),
        ("hubspot_users_crm.csv", "hubspot", REP, ["rep_id", "name", "email", "role", "team"], []),
        (
            "plain_reps_crm.csv",
            "plain",
            REP,
            ["rep_id", "name", "email", "role", "team", "manager_id", "active"],
            [],
        ),
        (
            "sf_opportunities_crm.csv",
            "salesforce",
            OPP,
            ["opportunity_id", "account_id", "rep_id", "name", "product", "stage", "amount", "created",
             "closed", "won", "is_closed", "probability"],
            [],
        ),
        (
            "hubspot_deals_crm.csv",
            "hubspot",
            OPP,
            ["opportunity_id", "account_id", "rep_id", "name", "stage", "amount", "created", "closed", "won"],
            [],
        ),
        ("sf_leads_olist.csv", "salesforce", LEAD, [*LEAD_FIELDS, "converted"], []),
        ("hubspot_contacts_olist.csv", "hubspot", LEAD, [*LEAD_FIELDS, "owner_id", "lifecycle_stage"], []),
    ],
)  # fmt: skip
def test_each_builtin_mapping_maps_its_export_onto_the_entity_fields(
    file: str, mapping: str | None, entity: Entity, fields: list[str], custom: list[str]
) -> None:
    table = mapped(file, mapping, entity)
    raw = read_table(CRM / file)
    assert table.frame.columns == [*fields, *custom]
    assert table.custom_fields == tuple(custom)
    assert len(table) == raw.frame.height > 0
    assert table.entity is entity
    assert all(dtype == pl.String for dtype in table.frame.dtypes)
    # Rows keep their order and file lines; every cell is the file's cell, moved and renamed.
    assert table.line_of(0) == 2
    for field, column in table.sources.items():
        if " + " not in column:
            assert table.frame.get_column(field).to_list() == raw.frame.get_column(column).to_list()


def test_salesforce_accounts_keep_the_export_cells_as_written() -> None:
    table = mapped("sf_accounts_fortune1000.csv", "salesforce", ACC)
    chevron = table.frame.row(1, named=True)
    assert chevron["account_id"] == "0015g0000000015AAA"
    assert chevron["name"] == "Chevron"
    assert chevron["street"] == "6001 BOLLINGER CANYON ROAD"
    assert chevron["state"] == "California"
    assert chevron["postal_code"] == "94583-6087"
    assert chevron["country"] == "USA"
    assert chevron["employees"] == "48,200"
    assert chevron["annual_revenue"] == "$146,516,000,000"
    assert chevron["website"] == "www.chevron.com"
    assert chevron["ticker__c"] == "CVX"
    assert table.sources["employees"] == "NumberOfEmployees"
    assert table.sources["ticker__c"] == "Ticker__c"


def test_salesforce_users_use_the_full_name_and_hubspot_users_join_first_and_last() -> None:
    salesforce = mapped("sf_users_crm.csv", "salesforce", REP)
    assert salesforce.sources["name"] == "Name"
    agent = salesforce.frame.filter(pl.col("name") == "Anna Snelling").row(0, named=True)
    assert agent["role"] == "Central Sales"
    assert agent["team"] == "Central"
    assert agent["manager_id"] == salesforce.frame.filter(pl.col("name") == "Dustin Brinkmann")["rep_id"][0]
    assert agent["active"] == "true"

    hubspot = mapped("hubspot_users_crm.csv", "hubspot", REP)
    assert hubspot.sources["name"] == "First Name + Last Name"
    assert "Mei-Mei Johns" in hubspot.frame.get_column("name").to_list()
    rep = hubspot.frame.filter(pl.col("name") == "Anna Snelling").row(0, named=True)
    assert (rep["team"], rep["role"]) == ("Central Sales", "Sales Rep")


def test_a_rep_name_is_joined_from_whichever_parts_are_there(tmp_path: Path) -> None:
    path = write(
        tmp_path, "users.csv", "User ID,First Name,Last Name\n1,Cher,\n2,, Prince \n3,,\n4,Ada,Lovelace\n"
    )
    table = apply_mapping(read_table(path), builtin_mapping("hubspot", REP))
    assert table.frame.get_column("name").to_list() == ["Cher", "Prince", None, "Ada Lovelace"]


def test_the_full_name_wins_over_its_parts(tmp_path: Path) -> None:
    path = write(tmp_path, "users.csv", "Id,Name,FirstName,LastName\n005A,Ada King,Ada,Lovelace\n")
    table = apply_mapping(read_table(path), builtin_mapping("salesforce", REP))
    assert table.frame.to_dicts() == [{"rep_id": "005A", "name": "Ada King"}]


def test_headers_match_in_any_case_and_ignoring_surrounding_spaces(tmp_path: Path) -> None:
    # Data Loader writes upper-case API names; a hand-edited HubSpot file may gain spaces.
    salesforce = write(tmp_path, "dataloader.csv", '"ID","NAME","BILLINGCITY"\n001A,Acme,Boise\n')
    table = apply_mapping(read_table(salesforce), builtin_mapping("salesforce", ACC))
    assert table.frame.to_dicts() == [{"account_id": "001A", "name": "Acme", "city": "Boise"}]
    hubspot = write(tmp_path, "companies.csv", "record id , COMPANY NAME,country/region\n9,Acme,Canada\n")
    table = apply_mapping(read_table(hubspot), builtin_mapping("hubspot", ACC))
    assert table.frame.to_dicts() == [{"account_id": "9", "name": "Acme", "country": "Canada"}]


def test_alternative_headers_fill_a_field_when_the_preferred_one_is_absent(tmp_path: Path) -> None:
    older = write(tmp_path, "older.csv", "Record ID,Name,Company Domain Name\n1,Acme,acme.com\n")
    table = apply_mapping(read_table(older), builtin_mapping("hubspot", ACC))
    assert table.frame.to_dicts() == [{"account_id": "1", "name": "Acme", "website": "acme.com"}]
    assert table.sources["name"] == "Name"
    # With both, the preferred column fills the field and the other spelling is left out.
    both = write(
        tmp_path, "both.csv", "Record ID,Company name,Name,Website URL,Company Domain Name\n1,A,B,u,d\n"
    )
    table = apply_mapping(read_table(both), builtin_mapping("hubspot", ACC))
    assert table.frame.to_dicts() == [{"account_id": "1", "name": "A", "website": "u"}]


def test_state_codes_stand_in_for_state_names(tmp_path: Path) -> None:
    path = write(tmp_path, "leads.csv", "Id,StateCode,CountryCode\n00Q1,SP,BR\n")
    table = apply_mapping(read_table(path), builtin_mapping("salesforce", LEAD))
    assert table.frame.to_dicts() == [{"lead_id": "00Q1", "country": "BR", "state": "SP"}]


def test_columns_already_named_as_fields_are_understood_by_every_mapping(tmp_path: Path) -> None:
    path = write(tmp_path, "companies.csv", "Record ID,Company name,Latitude,Longitude\n1,Acme,43.6,-116.2\n")
    table = apply_mapping(read_table(path), builtin_mapping("hubspot", ACC))
    assert table.frame.columns == ["account_id", "name", "latitude", "longitude"]
    assert table.custom_fields == ()


def test_a_latin1_export_maps_with_its_letters_intact() -> None:
    table = mapped("latin1_sf_accounts.csv", "salesforce", ACC)
    assert "Estée Lauder" in table.frame.get_column("name").to_list()


def test_bad_values_and_duplicate_ids_are_left_for_normalisation() -> None:
    numbers = mapped("bad_numbers_sf_accounts.csv", "salesforce", ACC)
    assert numbers.frame.get_column("employees")[2] == "approx. 5,000"
    assert numbers.frame.get_column("annual_revenue")[8] == "12M"
    duplicates = mapped("bad_duplicate_ids_hubspot_deals.csv", "hubspot", OPP)
    ids = duplicates.frame.get_column("opportunity_id")
    assert ids.n_unique() == ids.len() - 2


def test_a_truncated_export_is_refused_at_its_last_line() -> None:
    error = bad_input(read_table, CRM / "bad_truncated_sf_accounts.csv")
    assert error.problems[0].location.line == 16
    assert "expected 19 fields" in str(error)


# ---- the id column -----------------------------------------------------------------------------


def test_a_missing_id_column_names_the_file_and_the_column_expected() -> None:
    error = bad_input(mapped, "bad_missing_id_sf_accounts.csv", "salesforce", ACC)
    (problem,) = error.problems
    assert problem.location.file == str(CRM / "bad_missing_id_sf_accounts.csv")
    assert problem.location.line == 1
    assert problem.location.subject == "account_id"
    assert (
        problem.message
        == "the accounts id column is missing: expected 'Id' or 'Account ID' (the salesforce mapping)"
    )


def test_a_crm_export_read_without_its_mapping_is_told_which_to_use(tmp_path: Path) -> None:
    # HubSpot's "Record ID" is the id of every object; Salesforce's users export "Id".
    path = write(tmp_path, "companies.csv", "Record ID,Company name\n5800007919,Fuhu\n")
    error = bad_input(apply_mapping, read_table(path), mapping_for("salesforce", ACC))
    assert error.problems[0].message.endswith(
        "; the file has 'Record ID', the id column of a HubSpot export: use --mapping hubspot"
    )
    assert crm_export_hint(["Id", "Name"], REP) == (
        "; the file has 'Id', the id column of a Salesforce export: use --mapping salesforce"
    )
    assert crm_export_hint(["Record ID"], ACC, "hubspot") == ""
    assert crm_export_hint(["account_id"], ACC) == ""


def test_without_a_mapping_the_id_column_must_carry_our_name(tmp_path: Path) -> None:
    path = write(tmp_path, "reps.csv", "id,name\nr1,Ada\n")
    error = bad_input(apply_mapping, read_table(path), mapping_for(None, REP))
    assert [p.location.subject for p in error.problems] == ["rep_id"]
    assert error.problems[0].message == "the reps id column is missing: expected a column named rep_id"


def test_two_columns_for_one_field_are_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "accounts.csv", "Id,Name,account_id\n1,Acme,A-1\n")
    error = bad_input(apply_mapping, read_table(path), builtin_mapping("salesforce", ACC))
    (problem,) = error.problems
    assert (problem.location.line, problem.location.column, problem.location.subject) == (1, 3, "account_id")
    assert "column 'account_id' and column 'Id' would both fill account_id" in problem.message


# ---- columns the mapping does not name ----------------------------------------------------------


def test_unmapped_columns_become_custom_account_fields_under_rule_friendly_names() -> None:
    table = mapped("hubspot_companies_inc5000.csv", "hubspot", ACC)
    assert table.sources["growth_rate"] == "Growth Rate"
    assert table.frame.get_column("lifecycle_stage")[0] in {"Lead", "Opportunity", "Customer"}


def test_a_rep_export_keeps_a_portal_specific_column_as_a_custom_field() -> None:
    # Reps keep custom fields as accounts do (#20): a rep's regional office groups figures.
    table = mapped("bad_unknown_column_sf_users.csv", "salesforce", REP)
    assert table.ignored == ()
    assert table.custom_fields == ("territory_notes__c",)


def test_a_custom_mapping_must_account_for_every_opportunity_column(tmp_path: Path) -> None:
    mapping = write(tmp_path, "opps.yaml", "entity: opportunities\ncolumns:\n  Opp: opportunity_id\n")
    path = write(tmp_path, "opps.csv", "Opp,nmae,quota_2027,amount\nr1,Ada,5,10\n")
    error = bad_input(apply_mapping, read_table(path), load_mapping(mapping, OPP))
    assert [p.location.subject for p in error.problems] == ["nmae", "quota_2027"]
    assert "did you mean 'name'?" in error.problems[0].message


def test_ignored_columns_are_left_out(tmp_path: Path) -> None:
    mapping = write(
        tmp_path, "reps.yaml", "entity: reps\nextends: salesforce\ncolumns: {}\nignore: Territory_Notes__c\n"
    )
    table = apply_mapping(read_table(CRM / "bad_unknown_column_sf_users.csv"), load_mapping(mapping, REP))
    assert "territory_notes__c" not in table.frame.columns
    assert table.frame.height == 41


# ---- custom mapping files -----------------------------------------------------------------------


def test_a_custom_mapping_renames_keeps_custom_fields_and_ignores_columns() -> None:
    table = mapped("custom_accounts_fortune1000.csv", CRM / "custom_accounts_mapping.yaml", ACC)
    assert table.frame.columns == ["account_id", "name", "industry", "employees", "city", "state", "region"]
    assert table.custom_fields == ("region",)
    assert table.sources["employees"] == "Employees (FTE)"
    first = table.frame.row(0, named=True)
    assert first["account_id"] == "F1K-0003"
    assert first["region"] in {"Northeast", "Midwest", "South", "West"}
    assert table.mapping.name == str(CRM / "custom_accounts_mapping.yaml")


def test_a_custom_mapping_can_extend_a_builtin() -> None:
    table = mapped("hubspot_deals_product_crm.csv", CRM / "custom_hubspot_deals_mapping.yaml", OPP)
    assert table.frame.columns == [
        "opportunity_id", "account_id", "rep_id", "name", "product", "stage", "amount", "created", "closed",
        "won",
    ]  # fmt: skip
    assert table.frame.get_column("product")[1] == "GTXPro"
    # The built-in alone does not know the portal's own Product property: it passes it over.
    assert mapped("hubspot_deals_product_crm.csv", "hubspot", OPP).ignored == ("Product line",)


def test_an_extending_mapping_replaces_the_builtin_rule_for_the_same_field(tmp_path: Path) -> None:
    path = write(
        tmp_path, "m.yaml", "entity: accounts\nextends: salesforce\ncolumns:\n  Legacy Id: account_id\n"
    )
    mapping = load_mapping(path, ACC)
    rule = mapping.rule_for("account_id")
    assert rule is not None and rule.headers == ("Legacy Id",) and rule.line == 4
    data = write(tmp_path, "a.csv", "Legacy Id,Id,Name\nL1,001X,Acme\n")
    table = apply_mapping(read_table(data), mapping)
    # Id is no longer the id; as an account column it stays, as a custom field.
    assert table.frame.to_dicts() == [{"account_id": "L1", "name": "Acme", "id": "001X"}]


def test_a_custom_mapping_naming_a_column_the_file_lacks_names_the_mapping_line() -> None:
    mapping_file = CRM / "bad_mapping_unknown_column.yaml"
    error = bad_input(mapped, "sf_accounts_fortune1000.csv", mapping_file, ACC)
    (problem,) = error.problems
    assert (problem.location.file, problem.location.line) == (str(mapping_file), 5)
    assert problem.message == (
        f"unknown mapping column 'Account Number': {CRM / 'sf_accounts_fortune1000.csv'} has no such column"
    )


def test_an_unknown_mapping_column_suggests_a_close_one(tmp_path: Path) -> None:
    path = write(tmp_path, "m.yaml", "entity: accounts\ncolumns:\n  Acount Name: name\n  Id: account_id\n")
    data = write(tmp_path, "a.csv", "Id,Account Name\n1,Acme\n")
    error = bad_input(apply_mapping, read_table(data), load_mapping(path))
    assert error.problems[0].location.line == 3
    assert "did you mean 'Account Name'?" in str(error)


def test_alternatives_in_a_custom_mapping_may_each_be_absent(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "m.yaml",
        "entity: leads\ncolumns:\n  Lead No: lead_id\nalternatives:\n  Lead No: [Lead Number, Prospect ID]\n",
    )
    data = write(tmp_path, "leads.csv", "Prospect ID\nP-1\n")
    table = apply_mapping(read_table(data), load_mapping(path, LEAD))
    assert table.frame.to_dicts() == [{"lead_id": "P-1"}]


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        (
            "entity: opportunities\ncolumns:\n  Id: opportunity_id\n  Value: amounts\n",
            4,
            "unknown opportunities field 'amounts'; did you mean 'amount'?; opportunities take no custom "
            "fields",
        ),
        (
            "entity: opportunities\ncolumns:\n  Id: opportunity_id\n  Owner: rep_id\n  Owner Id: rep_id\n",
            5,
            "field rep_id is mapped twice (first on line 4); "
            "list other spellings of one column under alternatives",
        ),
        (
            "entity: accounts\ncolumns:\n  Id: account_id\n  ID: name\n",
            4,
            "column 'ID' is listed twice (first on line 3); names ignore case",
        ),
        (
            "entity: account\ncolumns: {Id: account_id}\n",
            1,
            "unknown entity 'account'; expected accounts, reps, opportunities, leads, opportunity_history; "
            "did you mean 'accounts'?",
        ),
        (
            "columns: {Id: account_id}\n",
            1,
            "missing the key 'entity' (accounts, reps, opportunities or leads)",
        ),
        ("entity: leads\n", 1, "missing the key 'columns' (file column: field)"),
        (
            "entity: leads\ncolumns: {Id: lead_id}\nignored: [x]\n",
            3,
            "unknown key 'ignored'; expected entity, extends, columns, alternatives, ignore, values; "
            "did you mean 'ignore'?",
        ),
        (
            "entity: leads\ncolumns: {Id: lead_id}\nignore: [ID]\n",
            3,
            "column 'ID' is both mapped and ignored",
        ),
        ("entity: leads\ncolumns:\n  Id:\n", 3, "the field for column 'Id': expected a name, found nothing"),
        ("entity: leads\ncolumns: [Id, lead_id]\n", 2, "columns: expected a mapping of file column: field"),
        (
            "entity: leads\ncolumns: {Id: lead_id}\nalternatives:\n  Email: [E-mail]\n",
            4,
            "alternatives for 'Email', which is not listed under columns",
        ),
        (
            "entity: accounts\ncolumns:\n  Id: account_id\n  Score %: score %\n",
            4,
            "custom field name 'score %' must start with a letter and hold only letters, digits and _",
        ),
        (
            "entity: accounts\nextends: sugarcrm\ncolumns: {}\n",
            2,
            "unknown built-in mapping 'sugarcrm'; expected plain, salesforce, hubspot, "
            "crm-sales-opportunities",
        ),
        ("- entity: accounts\n", 1, "expected a mapping with the keys entity and columns"),
    ],
)
def test_each_mapping_file_problem_names_its_line(text: str, line: int, message: str) -> None:
    error = bad_input(parse_mapping, text, "m.yaml")
    problem = error.problems[0]
    assert (problem.location.file, problem.location.line) == ("m.yaml", line)
    assert problem.message == message


def test_bad_yaml_names_its_line_and_column() -> None:
    error = bad_input(
        parse_mapping, "entity: accounts\ncolumns:\n  Id: account_id\n   Name: name\n", "m.yaml"
    )
    (problem,) = error.problems
    assert (problem.location.line, problem.location.column) == (4, 8)
    assert problem.message.startswith("YAML syntax error: ")


def test_every_problem_in_a_mapping_file_is_reported_at_once() -> None:
    text = "entity: leads\ncolumns:\n  Id: lead_id\n  Mail: emails\n  Co: companies\n"
    error = bad_input(parse_mapping, text, "m.yaml")
    assert [p.location.line for p in error.problems] == [4, 5]


def test_a_mapping_for_another_entity_is_refused_at_its_entity_line(tmp_path: Path) -> None:
    path = write(tmp_path, "m.yaml", "# accounts\nentity: accounts\ncolumns: {Id: account_id}\n")
    error = bad_input(mapping_for, str(path), REP)
    assert error.problems[0].location.line == 2
    assert error.problems[0].message == (
        "this mapping is for accounts (entity: accounts), but reps are being imported; "
        "give a mapping file with entity: reps"
    )


def test_column_names_are_read_as_written_not_as_yaml_values() -> None:
    mapping = parse_mapping("entity: accounts\ncolumns:\n  2021: revenue_2021\n  yes: account_id\n")
    assert [r.headers for r in mapping.rules] == [("2021",), ("yes",)]


def test_a_missing_mapping_file_is_reported(tmp_path: Path) -> None:
    error = bad_input(load_mapping, tmp_path / "nope.yaml")
    assert str(error) == f"{tmp_path / 'nope.yaml'}: mapping file not found"


# ---- finding a mapping ------------------------------------------------------------------------


def test_mapping_for_resolves_builtin_names_paths_and_none() -> None:
    assert mapping_for(None, "reps") == builtin_mapping("plain", REP)
    assert mapping_for("Salesforce", ACC).name == "salesforce"
    custom = mapping_for(str(CRM / "custom_accounts_mapping.yaml"), ACC)
    assert custom.file == str(CRM / "custom_accounts_mapping.yaml")
    assert all(rule.required for rule in custom.rules)


def test_an_unknown_builtin_name_lists_the_known_ones() -> None:
    error = bad_input(builtin_mapping, "sugarcrm", ACC)
    assert str(error) == (
        "<input>: unknown built-in mapping 'sugarcrm'; "
        "expected one of plain, salesforce, hubspot, crm-sales-opportunities or a mapping file"
    )


@pytest.mark.parametrize("name", BUILTIN_MAPPINGS)
@pytest.mark.parametrize("entity", list(Entity))
def test_every_builtin_mapping_loads_with_no_required_columns(name: str, entity: Entity) -> None:
    if not builtin_covers(name, entity):  # HubSpot keeps no opportunity history; Maven's sample no leads
        assert bad_input(builtin_mapping, name, entity).problems[0].location.subject == "--mapping"
        return
    mapping = builtin_mapping(name, entity)
    assert isinstance(mapping, ColumnMapping)
    assert mapping.file is None
    assert not any(rule.required for rule in mapping.rules)
    if name != "plain":
        assert mapping.rule_for(mapping.schema.id_field) is not None


def test_a_misspelt_builtin_mapping_is_named_with_the_one_meant(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(BadInput, match="did you mean the built-in 'salesforce'"):
        mapping_for("salesfroce", Entity.ACCOUNTS)
    with pytest.raises(BadInput, match="did you mean the built-in 'hubspot'"):
        file_mapping("HubSpott", Entity.LEADS)
    # A word close to no built-in is a file that is not there.
    with pytest.raises(BadInput, match="not found"):
        mapping_for("my-export-columns", Entity.ACCOUNTS)


# ---- value maps and columns that fill several fields (#20) --------------------------------------

VALUE_MAPPED = """entity: opportunities
columns:
  Deal: opportunity_id
  Company: account_id
  Stage: stage
  Value: amount
values:
  Stage:
    Won: {won: true, is_closed: true}
    Lost: {won: false, is_closed: true, amount: ~}
    Open: {is_closed: false}
"""


def test_a_value_map_sets_fields_from_a_columns_values_and_leaves_others_as_they_are(tmp_path: Path) -> None:
    mapping = load_mapping(write(tmp_path, "opps.yaml", VALUE_MAPPED), OPP)
    path = write(
        tmp_path, "opps.csv", "Deal,Company,Stage,Value\nd1,a,Won,10\nd2,a, Lost ,0\nd3,a,Open,5\nd4,a,,7\n"
    )
    table = apply_mapping(read_table(path), mapping)
    frame = table.frame
    assert frame.columns == ["opportunity_id", "account_id", "stage", "amount", "won", "is_closed"]
    assert frame.get_column("won").to_list() == ["true", "false", None, None]
    assert frame.get_column("is_closed").to_list() == ["true", "true", "false", None]
    assert frame.get_column("amount").to_list() == ["10", None, "5", "7"]  # ~ empties a lost deal's 0
    assert table.sources["won"] == "Stage (values)"


def test_a_value_map_may_respell_its_own_column(tmp_path: Path) -> None:
    text = "entity: opportunities\ncolumns: {Deal: opportunity_id, Item: product}\nvalues:\n"
    text += "  Item: {GTXPro: {product: GTX Pro}}\n"
    path = write(tmp_path, "opps.csv", "Deal,Item\nd1,GTXPro\nd2,GTX Pro\nd3,MG Special\n")
    table = apply_mapping(read_table(path), load_mapping(write(tmp_path, "m.yaml", text), OPP))
    assert table.frame.get_column("product").to_list() == ["GTX Pro", "GTX Pro", "MG Special"]


def test_one_column_may_fill_several_fields(tmp_path: Path) -> None:
    text = "entity: accounts\ncolumns:\n  account: [account_id, name]\n"
    path = write(tmp_path, "accounts.csv", "account,sector\nAcme Corporation,tech\n")
    table = apply_mapping(read_table(path), load_mapping(write(tmp_path, "m.yaml", text), ACC))
    assert table.frame.row(0, named=True) == {
        "account_id": "Acme Corporation",
        "name": "Acme Corporation",
        "sector": "tech",
    }


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        (
            "entity: leads\ncolumns: {Id: lead_id}\nvalues:\n  Src: {Web: {channel: web}}\n",
            4,
            "unknown leads field 'channel'; leads take no custom fields",
        ),
        (
            "entity: leads\ncolumns: {Id: lead_id}\nignore: [Src]\nvalues:\n  Src: {Web: {source: web}}\n",
            5,
            "column 'Src' is both ignored and given values",
        ),
        (
            "entity: leads\ncolumns: {Id: lead_id}\nvalues:\n  Src: [Web]\n",
            4,
            "values of 'Src': expected a mapping of value: {field: new value}",
        ),
    ],
)
def test_each_value_map_problem_names_its_line(text: str, line: int, message: str) -> None:
    problem = bad_input(parse_mapping, text, "m.yaml").problems[0]
    assert (problem.location.line, problem.message) == (line, message)


def test_a_value_map_names_its_column_when_the_file_lacks_it(tmp_path: Path) -> None:
    mapping = load_mapping(write(tmp_path, "opps.yaml", VALUE_MAPPED), OPP)
    path = write(tmp_path, "opps.csv", "Deal,Company,Value\nd1,a,10\n")
    problems = bad_input(apply_mapping, read_table(path), mapping).problems
    assert [(p.location.line, p.location.subject) for p in problems] == [(5, "stage"), (8, "Stage")]


MAVEN = shared_data("crm-sales-opportunities")


@pytest.mark.skipif(not MAVEN.is_dir(), reason="the CRM Sales Opportunities data is in ../shared/data")
def test_the_crm_sales_opportunities_mapping_reads_maven_s_files() -> None:
    pipeline = apply_mapping(
        read_table(MAVEN / "sales_pipeline.csv"), mapping_for("crm-sales-opportunities", OPP)
    ).frame
    accounts = apply_mapping(read_table(MAVEN / "accounts.csv"), mapping_for("crm-sales-opportunities", ACC))
    reps = apply_mapping(read_table(MAVEN / "sales_teams.csv"), mapping_for("crm-sales-opportunities", REP))
    assert "GTXPro" not in pipeline.get_column("product").to_list()
    won = pipeline.filter(pl.col("stage") == "Won")
    assert set(won.get_column("won").to_list()) == {"true"}
    assert pipeline.filter(pl.col("stage") == "Lost").get_column("amount").null_count() == 2473
    # Names are ids: every named account of the pipeline is an account, every agent a rep.
    named = set(pipeline.get_column("account_id").drop_nulls().to_list())
    assert named <= set(accounts.frame.get_column("account_id").to_list())
    assert set(pipeline.get_column("rep_id").to_list()) <= set(reps.frame.get_column("rep_id").to_list())
    assert reps.custom_fields == ("regional_office",)
