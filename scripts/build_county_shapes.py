"""Build src/territorial/data/us_counties.geojson.gz: the US county outlines the review report's map
draws, small enough to embed in one HTML file.

Reads the Census 2018 cartographic boundary file (cb_2018_us_county_20m, public domain) once, at
build time; Territorial never reads it at run time. Coordinates are rounded to 2 decimals (about
1 km, finer than a county shows at a page's width), points that rounding made equal are dropped,
and rings left with fewer than 4 points are dropped. Each feature keeps only its 5-digit FIPS code
as `id` and its name with the state's abbreviation; features are sorted by FIPS code.

    .venv/bin/python scripts/build_county_shapes.py \\
        ../shared/data/us-boundaries-census-cb2018-20m/us_counties_20m.geojson
"""

from __future__ import annotations

import argparse
import gzip
import json
from pathlib import Path

import us

DEFAULT_OUT = Path(__file__).resolve().parents[1] / "src" / "territorial" / "data" / "us_counties.geojson.gz"
DIGITS = 2


def simplified(ring: list[list[float]]) -> list[list[float]]:
    kept: list[list[float]] = []
    for lon, lat in ring:
        point = [round(lon, DIGITS), round(lat, DIGITS)]
        if not kept or kept[-1] != point:
            kept.append(point)
    if kept and kept[0] != kept[-1]:
        kept.append(kept[0])
    return kept if len(kept) >= 4 else []


def polygons(geometry: dict) -> list[list[list[list[float]]]]:
    parts = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    kept = []
    for part in parts:
        rings = [simplified(ring) for ring in part]
        if rings and rings[0]:
            kept.append([r for r in rings if r])
    return kept


def state_code(fips: str) -> str:
    state = us.states.lookup(fips)
    return state.abbr if state is not None else fips


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("counties", type=Path, help="us_counties_20m.geojson")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    source = json.loads(args.counties.read_text(encoding="utf-8"))
    features = []
    for feature in source["features"]:
        props = feature["properties"]
        parts = polygons(feature["geometry"])
        if not parts:
            continue
        geometry = (
            {"type": "Polygon", "coordinates": parts[0]}
            if len(parts) == 1
            else {"type": "MultiPolygon", "coordinates": parts}
        )
        name = f"{props['NAME']}, {state_code(props['STATEFP'])}"
        features.append(
            {"type": "Feature", "id": props["GEOID"], "properties": {"name": name}, "geometry": geometry}
        )
    features.sort(key=lambda f: f["id"])
    text = json.dumps({"type": "FeatureCollection", "features": features}, separators=(",", ":"))
    # mtime=0: the same source gives the same bytes.
    args.out.write_bytes(gzip.compress(text.encode("utf-8"), mtime=0))
    print(f"{len(features)} counties, {len(text):,} bytes of JSON, {args.out.stat().st_size:,} gzipped")


if __name__ == "__main__":
    main()
