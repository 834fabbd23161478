"""US counties: which pairs share a border (bundled, from Census 2018 boundaries) and a ZIP's county."""

from __future__ import annotations

import functools
import gzip
import json
from collections.abc import Iterable
from importlib import resources

import numpy as np
import polars as pl
from scipy.spatial import cKDTree

from territorial.geo.distance import flat_km
from territorial.geo.zips import load_zips, zip_attributes

ADJACENCY_FILE = "us_county_adjacency.csv"
OUTLINES_FILE = "us_counties.geojson.gz"


@functools.cache
def county_adjacency() -> pl.DataFrame:
    """county_a, county_b: 5-digit FIPS codes of neighbouring counties, county_a < county_b, sorted.
    Built by scripts/build_county_adjacency.py; see data/ATTRIBUTION.md."""
    source = resources.files("territorial") / "data" / ADJACENCY_FILE
    with resources.as_file(source) as path:
        return pl.read_csv(path, schema={"county_a": pl.String, "county_b": pl.String})


@functools.cache
def county_outlines_text() -> str:
    """The US county outlines as GeoJSON text: one feature per county, its 5-digit FIPS code as `id`
    and `name` ("Cook, IL"), coordinates rounded to 2 decimals. Built by
    scripts/build_county_shapes.py from the Census 2018 boundaries; see data/ATTRIBUTION.md."""
    source = resources.files("territorial") / "data" / OUTLINES_FILE
    return gzip.decompress(source.read_bytes()).decode("utf-8")


@functools.cache
def outlined_counties() -> frozenset[str]:
    """The FIPS codes county_outlines_text draws."""
    return frozenset(str(f["id"]) for f in json.loads(county_outlines_text())["features"])


def county_of_zips(codes: pl.Series) -> pl.Series:
    """The county FIPS code of each 5-digit ZIP (null for unknown ZIPs and ZIPs without a county,
    such as PO-box-only ZIPs)."""
    return zip_attributes(codes, "county_fips").get_column("county_fips")


def all_counties(also: Iterable[str] = ()) -> list[str]:
    """Every county in the adjacency table, and the codes in `also`, sorted."""
    frame = county_adjacency()
    return sorted({*frame["county_a"].to_list(), *frame["county_b"].to_list(), *also})


def neighbour_pairs(codes: list[str]) -> np.ndarray:
    """(e, 2) indices into `codes` of the neighbouring pairs among them."""
    index = {code: i for i, code in enumerate(codes)}
    frame = county_adjacency()
    pairs = [
        (index[a], index[b])
        for a, b in zip(frame["county_a"].to_list(), frame["county_b"].to_list(), strict=True)
        if a in index and b in index
    ]
    return np.array(pairs, dtype=np.int64).reshape(-1, 2)


def nearest_counties(lat: np.ndarray, lon: np.ndarray) -> list[str]:
    """The county of the nearest ZIP centroid that has one: for places whose ZIP has no county
    (PO-box-only ZIPs) or that have only coordinates."""
    table = load_zips().filter(pl.col("county_fips").is_not_null() & pl.col("lat").is_not_null())
    origin = float(np.mean(lat)) if len(lat) else 0.0
    points = flat_km(table["lat"].to_numpy(), table["lon"].to_numpy(), origin)
    _dist, nearest = cKDTree(points).query(flat_km(np.asarray(lat), np.asarray(lon), origin))
    codes = table.get_column("county_fips").to_list()
    return [codes[int(i)] for i in np.atleast_1d(nearest)]
