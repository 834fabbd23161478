"""The locator (geo.locate) on small tables built here, and the bundled GeoNames cities it reads."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from territorial.geo.cities import load_cities, us_places
from territorial.geo.locate import (
    CITY_STATE,
    COORDINATES,
    METHODS,
    UNLOCATED,
    ZIP,
    city_key,
    locate,
    place_tables,
)

SHARED_CITIES = Path(__file__).resolve().parents[3] / "shared" / "data" / "us-cities-geonames"

ZIPS = pl.DataFrame(
    {"zip": ["02134", "10001", "99950"], "lat": [42.35, 40.75, None], "lon": [-71.13, -74.0, None]}
)
CITIES = pl.DataFrame(
    {
        "name": [
            "Saint Louis",
            "St. Louis",
            "Springfield",
            "Springfield",
            "Fort Myers",
            "Mount Vernon",
            "Winston-Salem",
        ],
        "state": ["MN", "MO", "IL", "IL", "FL", "NY", "NC"],
        "lat": [47.0, 38.6, 39.8, 40.0, 26.6, 40.9, 36.1],
        "lon": [-92.0, -90.2, -89.6, -89.0, -81.9, -73.8, -80.2],
        "population": [500, 300_000, 115_000, 2_000, 90_000, 70_000, 250_000],
    }
)
TABLES = place_tables(ZIPS, CITIES)


def series(*values: str | None) -> pl.Series:
    return pl.Series(list(values), dtype=pl.String)


def test_coordinates_then_zip_then_city_and_state_then_unlocated() -> None:
    found = locate(
        TABLES,
        5,
        lat=np.array([1.0, np.nan, np.nan, np.nan, 5.0]),
        lon=np.array([2.0, np.nan, np.nan, np.nan, np.nan]),  # row 4 has half its coordinates
        zips=series("10001", "2134", "99999", None, None),
        cities=series("Springfield", "Springfield", "Springfield", None, "Nowhere"),
        states=series("IL", "IL", "IL", "IL", "IL"),
    )
    assert [METHODS[m] for m in found.method] == [COORDINATES, ZIP, CITY_STATE, UNLOCATED, UNLOCATED]
    assert found.points()[0].tolist() == [1.0, 2.0]  # given coordinates win over the ZIP
    assert found.points()[1].tolist() == [42.35, -71.13]  # 2134 is 02134
    assert found.points()[2].tolist() == [39.8, -89.6]  # an unknown ZIP falls back to the city
    assert np.isnan(found.points()[3:]).all()
    assert found.counts() == {"coordinates": 1, "zip": 1, "city_state": 1, "unlocated": 2}
    assert found.unlocated().tolist() == [3, 4]


def test_a_zip_the_table_has_no_centre_for_is_not_a_place() -> None:
    found = locate(TABLES, 1, zips=series("99950"))
    assert found.counts()["unlocated"] == 1


def test_saint_st_fort_mount_case_spaces_and_accents_are_the_same_name() -> None:
    cities = series("ST LOUIS", "  st.   louis ", "Ft. Myers", "Mt Vernon", "winston salem", "Saint Loüis")
    states = series("MO", "mo", "FL", "NY", "NC", "MO")
    found = locate(TABLES, 6, cities=cities, states=states)
    assert found.counts()["city_state"] == 6
    assert found.lat.tolist() == [38.6, 38.6, 26.6, 40.9, 36.1, 38.6]
    assert city_key("Sault Ste. Marie") == "sault sainte marie"
    assert city_key("Coeur d'Alene") == city_key("Coeur D’Alene") == "coeur dalene"


def test_the_same_name_twice_in_a_state_is_its_most_populous_place() -> None:
    found = locate(TABLES, 1, cities=series("Springfield"), states=series("IL"))
    assert found.points()[0].tolist() == [39.8, -89.6]  # 115,000 people, not 2,000


def test_a_city_is_looked_up_in_its_own_state_only() -> None:
    found = locate(
        TABLES, 3, cities=series("St. Louis", "St. Louis", "St. Louis"), states=series("MO", "MN", "IL")
    )
    assert found.lat[:2].tolist() == [38.6, 47.0]
    assert [METHODS[m] for m in found.method] == [CITY_STATE, CITY_STATE, UNLOCATED]


def test_state_names_are_read_by_the_callers_the_locator_takes_codes() -> None:
    """The pure locator compares 2-letter codes; io and normalisation turn names into codes first
    (tests/cli/test_balance_locating.py checks "Illinois" end to end)."""
    found = locate(TABLES, 2, cities=series("Springfield", "Springfield"), states=series("il", "Illinois"))
    assert [METHODS[m] for m in found.method] == [CITY_STATE, UNLOCATED]


def test_no_sources_leave_every_row_unlocated() -> None:
    assert locate(TABLES, 2).counts() == {"coordinates": 0, "zip": 0, "city_state": 0, "unlocated": 2}


def test_the_bundled_tables_find_real_places() -> None:
    found = locate(
        us_places(),
        4,
        cities=series("New York", "St. Louis", "Saint Paul", "Ft. Lauderdale"),
        states=series("NY", "MO", "MN", "FL"),
    )
    assert found.counts()["city_state"] == 4
    assert found.lat.round(1).tolist() == [40.7, 38.6, 44.9, 26.1]


def test_the_bundled_cities_are_geonames_us_places_of_1000_people() -> None:
    cities = load_cities()
    assert cities.columns == ["name", "state", "lat", "lon", "population"]
    assert cities.height == 17_341
    assert cities["state"].n_unique() == 51
    assert cities.filter(pl.col("name") == "Chicago")["population"].to_list() == [2_664_452]


@pytest.mark.skipif(not SHARED_CITIES.is_dir(), reason="the shared data folder is not on this machine")
def test_the_bundled_cities_are_the_source_rows_unchanged() -> None:
    source = pl.read_csv(SHARED_CITIES / "us_cities_pop1000.csv")
    kept = source.select("name", "state", lat="latitude", lon="longitude", population="population")
    assert load_cities().sort(pl.all()).equals(kept.sort(pl.all()))


def test_zero_zero_is_not_a_place_but_an_export_that_was_never_geocoded() -> None:
    tables = us_places()
    found = locate(
        tables,
        2,
        np.array([0.0, 41.9]),
        np.array([0.0, -87.6]),
        pl.Series(["60601", None]),
    )
    assert [METHODS[m] for m in found.method] == [ZIP, COORDINATES]
    assert abs(found.lat[0] - 41.88) < 0.1
