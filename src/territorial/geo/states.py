"""US state borders, drawn from the bundled county outlines: a county edge is a state border when no
other county of the same state shares it."""

from __future__ import annotations

import functools
import itertools
import json
from collections import Counter
from typing import Any

from territorial.geo.counties import county_outlines_text

Point = tuple[float, float]
Edge = tuple[Point, Point]


def rings_of(geometry: dict[str, Any]) -> list[list[list[float]]]:
    if geometry["type"] == "Polygon":
        return list(geometry["coordinates"])
    return [ring for polygon in geometry["coordinates"] for ring in polygon]


def edges_of(ring: list[list[float]]) -> list[Edge]:
    points = [(float(x), float(y)) for x, y in ring]
    found: list[Edge] = []
    for a, b in itertools.pairwise(points):
        if a != b:
            found.append((a, b) if a < b else (b, a))  # the same edge from either side
    return found


@functools.cache
def state_borders_text() -> str:
    """GeoJSON text: one MultiLineString feature per state (its 2-digit FIPS code as `id`), the edges
    of its counties that no other county of the state shares, sorted. The outlines are generalised
    (2 decimals), so a border is exact only where neighbours kept the same vertices; elsewhere an
    inner county line may show as a short border segment."""
    outlines = json.loads(county_outlines_text())
    per_state: dict[str, Counter[Edge]] = {}
    for feature in outlines["features"]:
        state = str(feature["id"])[:2]
        counted = per_state.setdefault(state, Counter())
        for ring in rings_of(feature["geometry"]):
            counted.update(edges_of(ring))
    features = [
        {
            "type": "Feature",
            "id": state,
            "properties": {"state_fips": state},
            "geometry": {
                "type": "MultiLineString",
                "coordinates": [[list(a), list(b)] for a, b in sorted(e for e, n in edges.items() if n == 1)],
            },
        }
        for state, edges in sorted(per_state.items())
    ]
    return json.dumps({"type": "FeatureCollection", "features": features}, separators=(",", ":"))
