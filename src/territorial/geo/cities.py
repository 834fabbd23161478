"""US cities and towns (bundled, from GeoNames): for locating accounts by city and state, and for
naming territories after the places they cover."""

from __future__ import annotations

import functools
from importlib import resources

import polars as pl

from territorial.geo.locate import PlaceTables, place_tables
from territorial.geo.zips import load_zips

CITIES_FILE = "us_cities.csv.gz"
CITY_SCHEMA = {
    "name": pl.String,
    "state": pl.String,
    "lat": pl.Float64,
    "lon": pl.Float64,
    "population": pl.Int64,
}


@functools.cache
def load_cities() -> pl.DataFrame:
    """name, state (2-letter code), lat, lon, population: the 17,341 US places GeoNames counts
    1,000 people or more in, sorted by state and name. Built by scripts/build_us_cities.py; see
    data/ATTRIBUTION.md."""
    source = resources.files("territorial") / "data" / CITIES_FILE
    with resources.as_file(source) as path:
        return pl.read_csv(path, schema=CITY_SCHEMA)


@functools.cache
def us_places() -> PlaceTables:
    """The locator's tables: US ZIP centres and the bundled cities."""
    return place_tables(load_zips(), load_cities())
