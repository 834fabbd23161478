"""Build src/territorial/data/us_county_adjacency.csv: the US county pairs that share a border.

Reads the Census 2018 cartographic boundary file (cb_2018_us_county_20m, public domain) once, at
build time; Territorial never reads it at run time. Two counties are neighbours when their outlines
share at least one boundary segment (rook adjacency: touching at a single point does not count).
Census cartographic files are topologically consistent, so neighbours carry the same vertex
coordinates along their common boundary and shared segments can be matched exactly after rounding.
When shapely is installed, the result is cross-checked against shapely's own boundary overlap.

    .venv/bin/python scripts/build_county_adjacency.py \\
        ../shared/data/us-boundaries-census-cb2018-20m/us_counties_20m.geojson
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
from collections import defaultdict
from pathlib import Path

DEFAULT_OUT = Path(__file__).resolve().parents[1] / "src" / "territorial" / "data" / "us_county_adjacency.csv"
DIGITS = 6  # the file has 5 decimals; rounding to 6 only removes float noise

Point = tuple[float, float]


def rings(geometry: dict) -> list[list[list[float]]]:
    if geometry["type"] == "Polygon":
        return list(geometry["coordinates"])
    if geometry["type"] == "MultiPolygon":
        return [ring for polygon in geometry["coordinates"] for ring in polygon]
    raise ValueError(f"unexpected geometry {geometry['type']}")


def segments(geometry: dict) -> set[tuple[Point, Point]]:
    """Every boundary segment, as a pair of rounded end points in sorted order."""
    found = set()
    for ring in rings(geometry):
        points = [(round(x, DIGITS), round(y, DIGITS)) for x, y in ring]
        for a, b in itertools.pairwise(points):
            if a != b:
                found.add((a, b) if a < b else (b, a))
    return found


def adjacent_pairs(features: list[dict]) -> list[tuple[str, str]]:
    owners: dict[tuple[Point, Point], set[str]] = defaultdict(set)
    for feature in features:
        geoid = feature["properties"]["GEOID"]
        for segment in segments(feature["geometry"]):
            owners[segment].add(geoid)
    pairs = set()
    for counties in owners.values():
        ordered = sorted(counties)
        for i, a in enumerate(ordered):
            for b in ordered[i + 1 :]:
                pairs.add((a, b))
    return sorted(pairs)


def shapely_pairs(features: list[dict]) -> set[tuple[str, str]] | None:
    """The same relation computed by shapely (boundaries overlapping with positive length), or
    None when shapely is not installed."""
    try:
        from shapely import STRtree
        from shapely.geometry import shape
    except ImportError:
        return None
    ids = [f["properties"]["GEOID"] for f in features]
    shapes = [shape(f["geometry"]) for f in features]
    tree = STRtree(shapes)
    pairs = set()
    for i, j in zip(*tree.query(shapes, predicate="intersects"), strict=True):
        if ids[i] < ids[j] and shapes[i].boundary.intersection(shapes[j].boundary).length > 0:
            pairs.add((ids[i], ids[j]))
    return pairs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("counties", type=Path, help="us_counties_20m.geojson (Census cb_2018_us_county_20m)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    features = json.loads(args.counties.read_text(encoding="utf-8"))["features"]
    pairs = adjacent_pairs(features)
    check = shapely_pairs(features)
    if check is not None:
        only_ours, only_shapely = set(pairs) - check, check - set(pairs)
        print(f"shapely cross-check: {len(only_ours)} pairs only here, {len(only_shapely)} only in shapely")
        for a, b in sorted(only_ours | only_shapely)[:20]:
            print("  differs:", a, b)
    with args.out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["county_a", "county_b"])
        writer.writerows(pairs)
    counties = {f["properties"]["GEOID"] for f in features}
    linked = {c for pair in pairs for c in pair}
    print(
        f"{len(counties)} counties, {len(pairs)} adjacent pairs, {len(counties - linked)} without a neighbour"
    )
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
