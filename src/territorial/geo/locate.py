"""Where each account is: its own coordinates, else its US ZIP's centre, else its city and state's.
Pure: the ZIP and city tables are given (geo.cities.us_places loads them)."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import numpy as np
import polars as pl

from territorial.geo.zips import zip_keys

COORDINATES = "coordinates"
ZIP = "zip"
CITY_STATE = "city_state"
UNLOCATED = "unlocated"
METHODS = (COORDINATES, ZIP, CITY_STATE, UNLOCATED)  # in the order they are tried

# Words that addresses shorten and GeoNames writes out ("St. Louis" is GeoNames' "Saint Louis" in
# some states and "St. Louis" in others: both sides are keyed alike).
ABBREVIATIONS = {"st": "saint", "ste": "sainte", "ft": "fort", "mt": "mount"}
# Names GeoNames spells otherwise than a CRM: (key, state) -> GeoNames' key.
CITY_ALIASES = {("new york", "NY"): "new york city"}


def city_key(name: str) -> str:
    """How city names are compared: case, accents, dots, apostrophes, hyphens and extra spaces do
    not matter, and St./Ste./Ft./Mt. are Saint, Sainte, Fort and Mount."""
    decomposed = unicodedata.normalize("NFKD", name)
    text = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    text = text.replace(".", " ").replace("'", "").replace("’", "").replace("-", " ").replace(",", " ")
    return " ".join(ABBREVIATIONS.get(word, word) for word in text.split())


@dataclass(frozen=True)
class PlaceTables:
    """zips: zip, lat, lon (each ZIP's centre). cities: key, state, lat, lon (for each city key in
    each state, its most populous place)."""

    zips: pl.DataFrame
    cities: pl.DataFrame


def place_tables(zips: pl.DataFrame, cities: pl.DataFrame) -> PlaceTables:
    """The locator's tables from the ZIP table (zip, lat, lon, ...) and the city table (name,
    state, lat, lon, population): ties on name and state go to the most populous place."""
    keyed = cities.with_columns(
        pl.col("name").map_elements(city_key, return_dtype=pl.String).alias("key"),
        pl.col("state").str.to_uppercase(),
    )
    aliases = [
        keyed.filter((pl.col("key") == target) & (pl.col("state") == state)).with_columns(key=pl.lit(alias))
        for (alias, state), target in CITY_ALIASES.items()
    ]
    best = (
        pl.concat([keyed, *aliases])
        .sort(["key", "state", "population", "lat", "lon"], descending=[False, False, True, False, False])
        .unique(["key", "state"], keep="first", maintain_order=True)
        .select("key", "state", "lat", "lon")
    )
    centres = zips.filter(pl.col("lat").is_not_null() & pl.col("lon").is_not_null()).select(
        "zip", "lat", "lon"
    )
    return PlaceTables(centres, best)


@dataclass(frozen=True)
class Located:
    """Each row's latitude and longitude (NaN where unlocated) and how it was found (an index into
    METHODS)."""

    lat: np.ndarray
    lon: np.ndarray
    method: np.ndarray

    def __len__(self) -> int:
        return len(self.method)

    def counts(self) -> dict[str, int]:
        """How many rows each method located, every method named, in METHODS order."""
        found = np.bincount(self.method, minlength=len(METHODS))
        return {name: int(found[m]) for m, name in enumerate(METHODS)}

    def unlocated(self) -> np.ndarray:
        """The rows no method located, in order."""
        return np.flatnonzero(self.method == METHODS.index(UNLOCATED))

    def by(self, method: str) -> np.ndarray:
        """Whether each row was located by `method`."""
        return np.asarray(self.method == METHODS.index(method))

    def points(self) -> np.ndarray:
        """(n, 2) lat, lon."""
        return np.column_stack([self.lat, self.lon])


def locate(
    tables: PlaceTables,
    rows: int,
    lat: np.ndarray | None = None,
    lon: np.ndarray | None = None,
    zips: pl.Series | None = None,
    cities: pl.Series | None = None,
    states: pl.Series | None = None,
) -> Located:
    """Each of `rows` rows: its own lat and lon when both are given (and not 0,0), else the centre
    of its US ZIP (ZIP+4, spreadsheet numbers and missing leading zeros are read), else the place
    its city and state name (states as 2-letter codes: the caller reads state names), else
    unlocated."""
    found = np.full((rows, 2), np.nan)
    method = np.full(rows, METHODS.index(UNLOCATED), dtype=np.int64)
    if lat is not None and lon is not None:
        # 0,0 is in the Gulf of Guinea, and it is what CRM exports write for "not geocoded": such
        # a row is placed by its ZIP or its city, as if its coordinates were empty.
        given = ~np.isnan(lat) & ~np.isnan(lon) & ~((lat == 0) & (lon == 0))
        found[given] = np.column_stack([lat, lon])[given]
        method[given] = METHODS.index(COORDINATES)
    if zips is not None:
        _fill(found, method, ZIP, _zip_centres(tables, zips))
    if cities is not None and states is not None:
        _fill(found, method, CITY_STATE, _city_centres(tables, cities, states, method))
    return Located(found[:, 0].copy(), found[:, 1].copy(), method)


def _fill(found: np.ndarray, method: np.ndarray, how: str, points: np.ndarray) -> None:
    """Rows still unlocated that `points` places (not NaN)."""
    take = (method == METHODS.index(UNLOCATED)) & ~np.isnan(points).any(axis=1)
    found[take] = points[take]
    method[take] = METHODS.index(how)


def _zip_centres(tables: PlaceTables, codes: pl.Series) -> np.ndarray:
    keys = pl.DataFrame({"zip": zip_keys(codes)})
    joined = keys.join(tables.zips, on="zip", how="left", maintain_order="left")
    return _points(joined)


def _city_centres(
    tables: PlaceTables, cities: pl.Series, states: pl.Series, method: np.ndarray
) -> np.ndarray:
    """The places of the rows still unlocated, by city and state; NaN for the others."""
    wanted = pl.Series(method == METHODS.index(UNLOCATED))
    names = cities.cast(pl.String).str.strip_chars()
    spelled = names.filter(wanted & names.is_not_null()).unique().to_list()
    keys = {name: city_key(name) for name in spelled}
    frame = pl.DataFrame({"name": names, "wanted": wanted}).select(
        key=pl.when("wanted").then(pl.col("name").replace_strict(keys, default=None, return_dtype=pl.String)),
        state=states.cast(pl.String).str.strip_chars().str.to_uppercase(),
    )
    joined = frame.join(tables.cities, on=["key", "state"], how="left", maintain_order="left")
    return _points(joined)


def _points(frame: pl.DataFrame) -> np.ndarray:
    return np.column_stack(
        [frame[name].cast(pl.Float64).fill_null(np.nan).to_numpy() for name in ("lat", "lon")]
    )
