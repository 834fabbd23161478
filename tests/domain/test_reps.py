"""A rep's reading: skills in either form, yes/no flags, homes, and the checks on each value."""

from __future__ import annotations

import polars as pl
import pytest

from territorial.domain.reps import missing_skills, owners_by_name, parse_skills, reps_from_records, serves
from territorial.errors import BadInput, Location


def test_skills_split_on_semicolons_and_commas_trimmed_and_lower_cased() -> None:
    assert parse_skills("Spanish, Healthcare") == {"spanish", "healthcare"}
    assert parse_skills(" Industry : Healthcare; language:DE ,") == {"industry:healthcare", "language:de"}
    assert parse_skills(None) == parse_skills("") == frozenset()


@pytest.mark.parametrize(
    ("held", "need", "served"),
    [
        ("spanish", "spanish", True),
        ("spanish", "language:spanish", True),  # a bare skill serves the need under any field
        ("language:spanish", "spanish", True),  # a field's skill serves the bare need
        ("language:spanish", "language:spanish", True),
        ("industry:spanish", "language:spanish", False),  # another field's skill does not
        ("spanish", "german", False),
        ("", "spanish", False),
    ],
)
def test_a_need_is_served_by_the_skill_or_the_fields_skill(held: str, need: str, served: bool) -> None:
    assert serves(parse_skills(held), need) is served


def test_missing_skills_are_listed_in_order() -> None:
    assert missing_skills(parse_skills("language:de"), ["industry:retail", "de", "a"]) == [
        "a",
        "industry:retail",
    ]


def where(row: int, field: str) -> Location:
    return Location("reps.csv", row + 2, None, field or None)


def test_flags_weights_caps_and_homes() -> None:
    ana, bo = reps_from_records(
        [
            {
                "rep_id": "ana",
                "active": "Yes",
                "lead_weight": 2.0,
                "daily_lead_cap": 3.0,
                "lat": 1.0,
                "lon": 2.0,
            },
            {"rep_id": "bo", "active": "no", "home_postal_code": "02134", "x": 5.0, "y": 6.0},
        ],
        where,
    )
    assert (ana.active, ana.lead_weight, ana.daily_lead_cap, ana.home, ana.line) == (
        True,
        2.0,
        3,
        (1.0, 2.0),
        2,
    )
    assert (bo.active, bo.home_xy, bo.home_postal_code) == (False, (5.0, 6.0), "02134")
    assert bo.home is not None  # from the home ZIP


def test_every_bad_value_is_reported_with_its_place() -> None:
    with pytest.raises(BadInput) as problem:
        reps_from_records(
            [
                {"rep_id": "ana", "active": "maybe", "lead_weight": 0.0},
                {"rep_id": "bo", "capacity": -1.0, "daily_lead_cap": 1.5, "latitude": 1.0},
            ],
            where,
        )
    text = str(problem.value)
    assert "reps.csv:2 [active]: expected yes or no" in text
    assert "reps.csv:2 [lead_weight]: expected a number above 0" in text
    assert "reps.csv:3 [capacity]: capacity must be a positive number" in text
    assert "reps.csv:3 [daily_lead_cap]: expected a whole number of leads" in text
    assert "reps.csv:3 [latitude]: give both latitude and longitude" in text


def test_a_home_off_the_globe_is_refused_by_line() -> None:
    with pytest.raises(BadInput) as problem:
        reps_from_records(
            [
                {"rep_id": "ana", "lat": 340.5, "lon": -73.0},
                {"rep_id": "bo", "latitude": 40.0, "longitude": -740.0},
            ],
            where,
        )
    text = str(problem.value)
    assert "reps.csv:2 [lat]: lat must be between -90 and 90, got 340.5" in text
    assert "reps.csv:3 [longitude]: longitude must be between -180 and 180, got -740" in text


def test_owners_are_found_by_name_email_or_crm_id_and_ambiguous_names_are_not_guessed() -> None:
    """#24: a HubSpot "Company owner" may be a name or an e-mail, a CRM column an owner id."""
    reps = pl.DataFrame(
        {
            "rep_id": ["51234411", "51234412", "9"],
            "name": ["Grace Kim", "Bob Lee", "Bob  lee"],
            "email": ["grace@x.com", "bob@x.com", None],
            "crm_owner_id": ["777", None, None],
        }
    )
    written = pl.Series(["GRACE@x.com ", "Grace Kim", "bob lee", "777", "Nobody", None, "Nobody"])
    kept = pl.Series([None, "own", None, None, None, None, None], dtype=pl.String)
    owner, unmatched, ambiguous = owners_by_name(kept, written, reps)
    assert owner.to_list() == ["51234411", "own", None, "51234411", None, None, None]
    assert unmatched == {"Nobody": 2}
    assert ambiguous == {"bob lee": 1}
    empty, none, neither = owners_by_name(None, pl.Series([], dtype=pl.String), reps)
    assert empty.to_list() == [] and none == {} and neither == {}
