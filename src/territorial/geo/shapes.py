"""The outline of a set of places as GeoJSON geometry: their convex hull, or the line or point it
comes down to when they do not span an area."""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.spatial import ConvexHull, QhullError

# GeoJSON coordinates are rounded to 6 decimals (about 0.1 m): the same places give the same bytes.
DECIMALS = 6


def lon_lat(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """(n, 2) [lon, lat] in GeoJSON's order, rounded, distinct and sorted."""
    points = np.round(np.column_stack([lon, lat]).astype(np.float64), DECIMALS) + 0.0  # no -0.0
    return np.unique(points.reshape(-1, 2), axis=0)


def multipoint(points: np.ndarray) -> dict[str, Any]:
    """The places as a MultiPoint; `points` from lon_lat."""
    return {"type": "MultiPoint", "coordinates": points.tolist()}


def outline(points: np.ndarray) -> dict[str, Any] | None:
    """The convex hull of `points` (from lon_lat) as a Polygon, its ring counter-clockwise from its
    lowest-left corner and closed (RFC 7946); a LineString between the two ends when the points lie
    on one line; a Point for one place; None for none."""
    if len(points) == 0:
        return None
    if len(points) == 1:
        return {"type": "Point", "coordinates": points[0].tolist()}
    try:
        hull = ConvexHull(points)
    except QhullError:  # all on one line: Qhull finds no area to wrap
        return {"type": "LineString", "coordinates": [points[0].tolist(), points[-1].tolist()]}
    ring = points[hull.vertices]  # counter-clockwise for 2-D input
    start = int(np.lexsort((ring[:, 1], ring[:, 0]))[0])
    ring = np.roll(ring, -start, axis=0)
    return {"type": "Polygon", "coordinates": [[*ring.tolist(), ring[0].tolist()]]}
