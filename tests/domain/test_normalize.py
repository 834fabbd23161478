"""Normalisation of imported CRM values: each rule, the change history, problems and idempotence."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import polars as pl
import pycountry
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import examples
from territorial.domain.entities import ACCOUNTS, LEADS, OPPORTUNITIES, REPS
from territorial.domain.fields import FieldType
from territorial.domain.normalize import (
    COUNTRY_ALIASES,
    EXPECTED,
    Cleanup,
    Normalized,
    country_code,
    normalize,
    state_code,
)
from territorial.geo.zips import load_zips

Column = list[str | None]


def normalized(columns: Mapping[str, Column], types: Mapping[str, FieldType] = ACCOUNTS.fields) -> Normalized:
    """Normalise columns given as raw CSV text, the way the importer hands them over."""
    frame = pl.DataFrame(dict(columns), schema={name: pl.String for name in columns})
    return normalize(frame, types, file="accounts.csv")


def values_after(name: str, values: Column, **others: Column) -> list[Any]:
    return normalized({name: values, **others}).frame.get_column(name).to_list()


def changes_of(result: Normalized, column: str) -> list[tuple[int, str | None, str, str]]:
    changes = result.changes.filter(pl.col("column") == column)
    return [(row, old, new, rule) for row, _, old, new, rule in changes.iter_rows()]


def unrecognized_of(result: Normalized, column: str) -> dict[str, int]:
    counted = result.unrecognized.filter(pl.col("column") == column)
    return dict(zip(counted["value"].to_list(), counted["rows"].to_list(), strict=True))


# ---- countries ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "code"),
    [
        ("United States", "US"),
        ("USA", "US"),
        ("U.S.", "US"),
        ("U.S.A.", "US"),
        ("United States of America", "US"),
        ("us", "US"),
        ("America", "US"),
        ("  usa ", "US"),
        ("UK", "GB"),
        ("U.K.", "GB"),
        ("Great Britain", "GB"),
        ("England", "GB"),
        ("United Kingdom", "GB"),
        ("Deutschland", "DE"),
        ("germany", "DE"),
        ("DEU", "DE"),
        ("Canada", "CA"),
        ("ca", "CA"),
        ("México", "MX"),
        ("Mexico", "MX"),
        ("South Korea", "KR"),
        ("Czech Republic", "CZ"),
        ("Türkiye", "TR"),
        ("Turkey", "TR"),
        ("Côte d'Ivoire", "CI"),
        ("Trinidad & Tobago", "TT"),
        ("The Netherlands", "NL"),
        ("Holland", "NL"),
    ],
)
def test_countries_become_iso_alpha_2_codes(given: str, code: str) -> None:
    result = normalized({"country": [given]})
    assert result.frame["country"].to_list() == [code]
    assert changes_of(result, "country") == [(0, given, code, "country")]


def test_a_country_already_a_code_is_not_a_change() -> None:
    result = normalized({"country": ["US", "CA", "GB", None]})
    assert result.frame["country"].to_list() == ["US", "CA", "GB", None]
    assert result.changes.is_empty()


def test_unknown_countries_are_kept_and_counted_not_errors() -> None:
    # No fuzzy matching: a typo is kept as typed rather than guessed into another country.
    result = normalized({"country": ["Narnia", "Untied States", "Austrailia", "Narnia", "US"]})
    assert result.frame["country"].to_list() == ["Narnia", "Untied States", "Austrailia", "Narnia", "US"]
    assert result.changes.is_empty()
    assert result.problems.is_empty()
    assert unrecognized_of(result, "country") == {"Austrailia": 1, "Narnia": 2, "Untied States": 1}


def test_country_aliases_never_contradict_pycountry() -> None:
    for alias, code in COUNTRY_ALIASES.items():
        assert pycountry.countries.get(alpha_2=code) is not None, alias
        try:
            known = pycountry.countries.lookup(alias).alpha_2
        except LookupError:
            continue
        assert known == code, alias


def test_country_code_looks_names_up_without_case_accents_or_dots() -> None:
    assert country_code("u.s.a.") == "US"
    assert country_code("ÖSTERREICH") == "AT"
    assert country_code("Atlantis") is None


# ---- states and provinces -------------------------------------------------------------------


def test_us_states_and_territories_become_their_codes() -> None:
    given: Column = ["California", "ny", "Texas", "DC", "District of Columbia", "Puerto Rico", "guam", " tx "]
    result = normalized({"country": ["US"] * len(given), "state": given})
    assert result.frame["state"].to_list() == ["CA", "NY", "TX", "DC", "DC", "PR", "GU", "TX"]
    assert [change[1:] for change in changes_of(result, "state")] == [
        ("California", "CA", "state"),
        ("ny", "NY", "state"),
        ("Texas", "TX", "state"),
        ("District of Columbia", "DC", "state"),
        ("Puerto Rico", "PR", "state"),
        ("guam", "GU", "state"),
        (" tx ", "TX", "state"),  # the old text as given, spaces and all
    ]


def test_canadian_provinces_become_their_codes() -> None:
    given: Column = ["Ontario", "québec", "Quebec", "B.C.", "on", "Newfoundland and Labrador", "PQ"]
    result = normalized({"country": ["Canada"] * len(given), "state": given})
    assert result.frame["state"].to_list() == ["ON", "QC", "QC", "BC", "ON", "NL", "QC"]


def test_states_follow_the_row_country() -> None:
    result = normalized(
        {
            "country": ["US", "CA", "US", None, None, "Germany", "AU", "Narnia"],
            "state": ["Ontario", "Ontario", "Californa", "texas", "ontario", "Bayern", "wa", "ca"],
        }
    )
    # A US row cannot be in Ontario; without a country both lists count; other countries are left alone.
    assert result.frame["state"].to_list() == ["Ontario", "ON", "Californa", "TX", "ON", "Bayern", "wa", "ca"]
    assert unrecognized_of(result, "state") == {"Californa": 1, "Ontario": 1}


def test_traditional_state_abbreviations_become_codes() -> None:
    # HubSpot forms let people type "Calif.,USA": 549 US leads reached the international queue.
    given: Column = ["Calif.", "N. Mex.", "W.Va.", "Penna.", "Wisc.", "Tex", "Mass.", "N.Y."]
    result = normalized({"country": ["USA"] * len(given), "state": given})
    assert result.frame["state"].to_list() == ["CA", "NM", "WV", "PA", "WI", "TX", "MA", "NY"]
    assert state_code("Calif.", "CA") is None  # a Canadian row is not in California


def test_state_code_is_exact_not_phonetic() -> None:
    # The `us` package's own lookup would match sounds-alike misspellings; imports must not guess.
    assert state_code("Californa", "US") is None
    assert state_code("california", "US") == "CA"
    assert state_code("Armed Forces Europe", "US") == "AE"
    assert state_code("Yukon", "CA") == "YT"
    assert state_code("Ontario", "US") is None


# ---- postal codes ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("2134", "02134"),
        ("501", "00501"),
        ("02134-1234", "02134"),
        ("021341234", "02134"),
        ("02134 1234", "02134"),
        ("2134.0", "02134"),
        ("90210", "90210"),
    ],
)
def test_us_zips_keep_five_digits_with_leading_zeros(given: str, expected: str) -> None:
    result = normalized({"country": ["US"], "postal_code": [given]})
    assert result.frame["postal_code"].to_list() == [expected]
    assert changes_of(result, "postal_code") == ([] if given == expected else [(0, given, expected, "zip")])


@pytest.mark.parametrize("given", ["k1a0b1", "K1A0B1", "k1a 0b1", "K1A-0B1", " K1A 0B1 "])
def test_canadian_postal_codes_are_written_a1a_1a1(given: str) -> None:
    assert values_after("postal_code", [given], country=["CA"]) == ["K1A 0B1"]


def test_postal_codes_follow_the_row_country() -> None:
    result = normalized(
        {
            "country": ["US", "CA", None, None, "GB", "DE", "US"],
            "postal_code": ["K1A 0B1", "2134", "2134", "k1a0b1", "sw1a 1aa", "1234", "12"],
        }
    )
    assert result.frame["postal_code"].to_list() == [
        "K1A 0B1",
        "2134",
        "02134",
        "K1A 0B1",
        "sw1a 1aa",
        "1234",
        "12",
    ]
    assert dict(zip(changes_of(result, "postal_code"), [0, 1], strict=True)) == {
        (2, "2134", "02134", "zip"): 0,
        (3, "k1a0b1", "K1A 0B1", "canadian_postal_code"): 1,
    }
    assert unrecognized_of(result, "postal_code") == {"12": 1, "2134": 1, "K1A 0B1": 1}


def test_a_reps_home_postal_code_is_a_postal_code() -> None:
    result = normalized({"home_postal_code": ["2134"]}, REPS.fields)
    assert result.frame["home_postal_code"].to_list() == ["02134"]


# ---- numbers --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected", "new_text"),
    [
        ("1,200", 1200.0, "1200"),
        ("$1,200.50", 1200.5, "1200.5"),
        ("€ 3.5", 3.5, "3.5"),
        ("1 200", 1200.0, "1200"),
        ("1\u00a0200\u00a0000", 1200000.0, "1200000"),
        ("(1,200)", -1200.0, "-1200"),
        ("($1,200.50)", -1200.5, "-1200.5"),
        ("-$5", -5.0, "-5"),
        ("USD 1,000,000", 1000000.0, "1000000"),
        ("1,000 EUR", 1000.0, "1000"),
        ("£250", 250.0, "250"),
    ],
)
def test_numbers_with_separators_currency_and_brackets(given: str, expected: float, new_text: str) -> None:
    result = normalized({"annual_revenue": [given]})
    assert result.frame["annual_revenue"].dtype == pl.Float64
    assert result.frame["annual_revenue"].to_list() == [expected]
    assert changes_of(result, "annual_revenue") == [(0, given, new_text, "number")]


def test_plain_numbers_are_typed_without_a_change() -> None:
    result = normalized({"employees": ["1200", "3.5", "-2", "1e3", ".5", None]})
    assert result.frame["employees"].to_list() == [1200.0, 3.5, -2.0, 1000.0, 0.5, None]
    assert result.changes.is_empty()


@pytest.mark.parametrize("given", ["12k", "3,5", "1.200,50", "(-5)", "1,2,3", "ten", "1e999", "$", "15%"])
def test_unreadable_numbers_are_problems(given: str) -> None:
    result = normalized({"employees": ["10", given]})
    assert result.frame["employees"].to_list() == [10.0, None]
    assert result.problems.to_dicts() == [
        {"row": 1, "column": "employees", "value": given, "expected": "a number such as 1200 or $1,200.50"}
    ]
    assert result.changes.is_empty()


def test_coordinates_off_the_globe_are_problems() -> None:
    # A latitude of -6.15e16 was stored (found by schemathesis), and swapped columns put a US
    # account's latitude at -118.
    result = normalized({"latitude": ["40.7", "-118.2", "90", "x"], "longitude": ["-74", "34", "181", None]})
    assert result.frame["latitude"].to_list() == [40.7, None, 90.0, None]
    assert result.problems.to_dicts() == [
        {"row": 1, "column": "latitude", "value": "-118.2", "expected": "a latitude between -90 and 90"},
        {"row": 2, "column": "longitude", "value": "181", "expected": "a longitude between -180 and 180"},
        {"row": 3, "column": "latitude", "value": "x", "expected": EXPECTED[FieldType.NUMBER]},
    ]


# ---- booleans -------------------------------------------------------------------------------


def test_booleans_in_any_spelling() -> None:
    given: Column = ["true", "FALSE", "Yes", "no", "Y", "n", "t", "F", "1", "0", None]
    result = normalized({"active": given}, REPS.fields)
    assert result.frame["active"].dtype == pl.Boolean
    assert result.frame["active"].to_list() == [
        True,
        False,
        True,
        False,
        True,
        False,
        True,
        False,
        True,
        False,
        None,
    ]
    # true and false in any case are already booleans; the other spellings are recorded.
    assert [(row, old, new) for row, old, new, _ in changes_of(result, "active")] == [
        (2, "Yes", "true"),
        (3, "no", "false"),
        (4, "Y", "true"),
        (5, "n", "false"),
        (6, "t", "true"),
        (7, "F", "false"),
        (8, "1", "true"),
        (9, "0", "false"),
    ]


def test_other_boolean_text_is_a_problem() -> None:
    result = normalized({"won": ["maybe", "yes"]}, OPPORTUNITIES.fields)
    assert result.frame["won"].to_list() == [None, True]
    assert result.problems.to_dicts() == [
        {"row": 0, "column": "won", "value": "maybe", "expected": EXPECTED[FieldType.BOOLEAN]}
    ]


# ---- dates ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "given",
    [
        "2024-05-01T13:45:00.000Z",  # Salesforce
        "2024-05-01T13:45:00+02:00",
        "2024-05-01 13:45",  # HubSpot
        "2024-05-01 13:45:07",
        "5/1/2024",
        "05/01/2024",
        "5/1/2024 1:45 PM",  # Salesforce report export
        "2024-5-1",
    ],
)
def test_dates_from_crm_exports(given: str) -> None:
    result = normalized({"created": [given]}, OPPORTUNITIES.fields)
    assert result.frame["created"].dtype == pl.Date
    assert result.frame["created"].to_list() == [dt.date(2024, 5, 1)]
    assert changes_of(result, "created") == [(0, given, "2024-05-01", "date")]


def test_an_iso_date_is_not_a_change() -> None:
    result = normalized({"created": ["2024-05-01", None]}, OPPORTUNITIES.fields)
    assert result.frame["created"].to_list() == [dt.date(2024, 5, 1), None]
    assert result.changes.is_empty()


@pytest.mark.parametrize(
    "given", ["2/30/2024", "13/1/2024", "2024-02-30", "01.05.2024", "May 1, 2024", "5/1/24"]
)
def test_unreadable_dates_are_problems(given: str) -> None:
    result = normalized({"created": [given]}, OPPORTUNITIES.fields)
    assert result.frame["created"].to_list() == [None]
    assert result.problems["expected"].to_list() == ["a date such as 2024-05-01 or 5/1/2024"]


# ---- websites and emails --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("https://www.Acme.com/about", "acme.com"),
        ("http://acme.com", "acme.com"),
        ("WWW.ACME.COM", "acme.com"),
        ("www.acme.co.uk/", "acme.co.uk"),
        ("https://shop.acme.com:8443/cart?item=1#top", "shop.acme.com"),
        ("acme.com.", "acme.com"),
        ("Acme.com", "acme.com"),
    ],
)
def test_websites_become_bare_lower_case_domains(given: str, expected: str) -> None:
    result = normalized({"website": [given]})
    assert result.frame["website"].to_list() == [expected]
    assert changes_of(result, "website") == [(0, given, expected, "domain")]


def test_websites_that_are_not_domains_are_kept_and_counted() -> None:
    result = normalized({"website": ["n/a", "Acme", "acme.com", "none"]})
    assert result.frame["website"].to_list() == ["n/a", "Acme", "acme.com", "none"]
    assert result.changes.is_empty()
    assert unrecognized_of(result, "website") == {"Acme": 1, "n/a": 1, "none": 1}


def test_emails_are_lower_cased_whole() -> None:
    given: Column = [
        "Jane@Acme.COM",
        "mailto:Bob@X.org",
        "Jane Doe <Jane.Doe@Acme.com>",
        "jane@acme.com",
        "nope",
    ]
    result = normalized({"email": given}, LEADS.fields)
    assert result.frame["email"].to_list() == [
        "jane@acme.com",
        "bob@x.org",
        "jane.doe@acme.com",
        "jane@acme.com",
        "nope",
    ]
    assert [row for row, *_ in changes_of(result, "email")] == [0, 1, 2]
    assert {rule for *_, rule in changes_of(result, "email")} == {"email"}
    assert unrecognized_of(result, "email") == {"nope": 1}


# ---- coordinates ----------------------------------------------------------------------------


def zip_centroid(zip_code: str) -> tuple[float, float]:
    row = load_zips().filter(pl.col("zip") == zip_code)
    return row["lat"].item(), row["lon"].item()


def test_missing_coordinates_come_from_the_zip_centroid() -> None:
    latitude, longitude = zip_centroid("02134")
    result = normalized(
        {
            "country": ["US", "US", "US", "US", "CA", None, "US"],
            "postal_code": ["2134", "02134", "02134", "02134", "K1A 0B1", "02134", "99999"],
            "latitude": [None, "40.5", "40.5", None, None, None, None],
            "longitude": [None, "-70.5", None, "-70.5", None, None, None],
        }
    )
    # Filled only where both are missing, on US rows (or rows without a country) with a known ZIP.
    assert result.frame["latitude"].to_list() == [latitude, 40.5, 40.5, None, None, latitude, None]
    assert result.frame["longitude"].to_list() == [longitude, -70.5, None, -70.5, None, longitude, None]
    assert changes_of(result, "latitude") == [
        (0, None, str(latitude), "coordinates"),
        (5, None, str(latitude), "coordinates"),
    ]
    assert [rule for *_, rule in changes_of(result, "longitude")] == ["coordinates", "coordinates"]


def test_without_a_known_zip_the_city_and_state_place_the_row_and_each_row_says_how() -> None:
    result = normalized(
        {
            "country": ["US", "US", "US", None, "CA"],
            "city": ["Springfield", "St. Louis", "Nowhere", "Saint Paul", "Toronto"],
            "state": ["Illinois", "MO", "IL", "Minnesota", "Ontario"],
            "postal_code": [None, "99999", None, None, None],
            "latitude": [None, None, None, None, None],
            "longitude": [None, None, None, None, None],
        }
    )
    # Springfield IL is its most populous Springfield; the state's name is read as its code first.
    assert [round(v, 2) if v else v for v in result.frame["latitude"].to_list()] == [
        39.8,
        38.63,
        None,
        44.94,
        None,
    ]
    assert result.located is not None
    assert result.located.to_list() == ["city_state", "city_state", "unlocated", "city_state", "unlocated"]
    assert [rule for *_, rule in changes_of(result, "latitude")] == ["coordinates"] * 3


def test_a_bad_latitude_is_a_problem_not_a_missing_one() -> None:
    result = normalized({"postal_code": ["02134"], "latitude": ["north"], "longitude": [None]})
    assert result.frame["latitude"].to_list() == [None]
    assert result.problems["value"].to_list() == ["north"]
    assert changes_of(result, "latitude") == []


def test_reps_get_coordinates_from_their_home_postal_code() -> None:
    latitude, longitude = zip_centroid("10001")
    result = normalized({"home_postal_code": ["10001"], "latitude": [None], "longitude": [None]}, REPS.fields)
    assert result.frame.select("latitude", "longitude").row(0) == (latitude, longitude)


# ---- the whole frame ------------------------------------------------------------------------

MESSY_ACCOUNTS: dict[str, Column] = {
    "account_id": ["0012", "0013", "0014", "0015"],
    "name": [" Acme Corp ", "Globex", "Initech", "Umbrella"],
    "website": ["https://www.Acme.com/about", "globex.com", "n/a", None],
    "employees": ["1,200", "35", "12k", None],
    "annual_revenue": ["$1,200,000.50", "(5,000)", "7e6", ""],
    "country": ["United States", "usa", "Canada", "   "],
    "state": ["California", "NY", "ontario", "tx"],
    "postal_code": ["2134", "10001-0001", "k1a0b1", "78701"],
    "latitude": [None, "40.75", None, None],
    "longitude": [None, "-73.99", None, None],
    "segment": ["  Enterprise", "SMB", "Mid-Market", "ca"],
}


def test_strings_are_trimmed_and_blanks_become_null_without_a_change() -> None:
    result = normalized(MESSY_ACCOUNTS)
    assert result.frame["name"].to_list() == ["Acme Corp", "Globex", "Initech", "Umbrella"]
    assert result.frame["country"].to_list() == ["US", "US", "CA", None]
    assert result.frame["annual_revenue"].to_list() == [1200000.5, -5000.0, 7e6, None]
    assert "name" not in result.changes["column"].to_list()


def test_custom_columns_are_left_alone_and_ids_keep_leading_zeros() -> None:
    result = normalized(MESSY_ACCOUNTS)
    assert result.frame["segment"].to_list() == ["Enterprise", "SMB", "Mid-Market", "ca"]
    assert result.frame["account_id"].to_list() == ["0012", "0013", "0014", "0015"]
    assert set(result.changes["column"].to_list()).isdisjoint({"segment", "account_id"})


def test_changes_keep_the_old_text_as_given_and_come_sorted() -> None:
    result = normalized(MESSY_ACCOUNTS)
    assert result.changes.schema == pl.Schema(
        {"row": pl.UInt32, "column": pl.String, "old": pl.String, "new": pl.String, "rule": pl.String}
    )
    positions = {name: index for index, name in enumerate(MESSY_ACCOUNTS)}
    keys = [(positions[column], row) for row, column in result.changes.select("row", "column").iter_rows()]
    assert keys == sorted(keys)
    assert set(result.changes["rule"].to_list()) <= {rule.value for rule in Cleanup}
    assert changes_of(result, "country") == [
        (0, "United States", "US", "country"),
        (1, "usa", "US", "country"),
        (2, "Canada", "CA", "country"),
    ]


def test_problems_carry_row_column_value_and_expected_text() -> None:
    result = normalize(
        pl.DataFrame(MESSY_ACCOUNTS, schema={name: pl.String for name in MESSY_ACCOUNTS}),
        ACCOUNTS.fields,
        file="accounts.csv",
        row_lines=lambda row: row + 2,  # a CSV's header is line 1
    )
    assert result.problems.to_dicts() == [
        {"row": 2, "column": "employees", "value": "12k", "expected": "a number such as 1200 or $1,200.50"}
    ]
    log = result.problem_log()
    assert log.total == 1
    assert [str(problem) for problem in log.problems] == [
        "accounts.csv:4 [employees]: expected a number such as 1200 or $1,200.50, got '12k'"
    ]


def test_problem_log_keeps_the_first_problems_and_counts_all() -> None:
    result = normalized({"employees": ["x"] * 7, "created": ["?"] * 7}, LEADS.fields)
    log = result.problem_log(limit=3)
    assert log.total == 14
    # By row, then column: the first problems are the ones a person meets first in the file.
    assert [(p.location.line, p.location.subject) for p in log.problems] == [
        (1, "employees"),
        (1, "created"),
        (2, "employees"),
    ]


def test_normalising_normal_data_changes_nothing() -> None:
    first = normalized(MESSY_ACCOUNTS)
    assert first.changes.height > 0
    again = normalize(first.frame, ACCOUNTS.fields)
    assert again.changes.is_empty()
    assert again.problems.is_empty()
    assert again.frame.equals(first.frame)


def test_the_same_input_gives_the_same_output() -> None:
    first, second = normalized(MESSY_ACCOUNTS), normalized(MESSY_ACCOUNTS)
    assert first.frame.equals(second.frame)
    assert first.changes.equals(second.changes)
    assert first.problems.equals(second.problems)
    assert first.unrecognized.equals(second.unrecognized)


def test_an_empty_frame_normalises_to_empty_results() -> None:
    result = normalized({"country": [], "employees": [], "created": []}, LEADS.fields)
    assert result.frame.schema == pl.Schema(
        {"country": pl.String, "employees": pl.Float64, "created": pl.Date}
    )
    assert result.changes.is_empty() and result.problems.is_empty() and result.unrecognized.is_empty()


SAMPLES: dict[str, list[str]] = {
    "country": ["United States", "usa", "Canada", "ca", "Narnia", "Georgia", " UK "],
    "state": ["California", "ny", "Ontario", "b.c.", "Bavaria", "Washington D.C."],
    "postal_code": ["2134", "02134-1234", "k1a0b1", "K1A 0B1", "501", "12345.0", "SW1A 1AA"],
    "website": ["https://www.Acme.com/about", "www.www.acme.com", "acme.com.", "HTTP://u:p@X.io:80/", "n/a"],
    "employees": ["1,200", "$1,200.50", "(1,200)", "€ 3.5", "1 200", "-$5", "1.5e3", "-0", "0.1"],
    "latitude": ["40.1"],
    "longitude": ["-70"],
}


@settings(max_examples=examples(ci=40, full=150), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.fixed_dictionaries(
            {
                name: st.one_of(
                    st.none(), st.sampled_from(samples), st.text(alphabet="aK019 .,$()-/:@w", max_size=12)
                )
                for name, samples in SAMPLES.items()
            }
        ),
        max_size=6,
    )
)
def test_normalising_twice_changes_nothing_the_second_time(rows: list[dict[str, str | None]]) -> None:
    first = normalize(pl.DataFrame(rows, schema={name: pl.String for name in SAMPLES}), ACCOUNTS.fields)
    # A value that could not be typed is null afterwards, and a null coordinate is then filled.
    if first.problems.is_empty():
        again = normalize(first.frame, ACCOUNTS.fields)
        assert again.changes.is_empty()
        assert again.frame.equals(first.frame)
