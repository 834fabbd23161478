"""Use case: a balance's territories as a map, a GeoJSON FeatureCollection any GIS tool opens."""

from __future__ import annotations

import json
from typing import Any

from territorial.geo.shapes import lon_lat, multipoint, outline
from territorial.services.balance import BalanceRun

# Each territory is two features: its outline (convex hull) first, so that its places draw on top.
HULL, UNITS = "hull", "units"


def territory_map(run: BalanceRun) -> str:
    """The map as GeoJSON text: one feature a line, so that the same balance gives the same bytes
    and a diff shows which territory changed."""
    features = territory_features(run)
    lines = ",\n".join(json.dumps(feature, ensure_ascii=False) for feature in features)
    return '{"type": "FeatureCollection", "features": [\n' + lines + "\n]}\n"


def territory_features(run: BalanceRun) -> list[dict[str, Any]]:
    """Per territory, in the report's order, a feature of its outline and one of its places, each
    with the territory's id, name, rep and figures from the report (metrics flattened:
    `workload`, `workload_target`, `workload_deviation`), in [lon, lat]. A territory without
    units has no feature."""
    units = run.units
    assert units.geographic, "read_inputs refuses --geojson for units on x,y"
    features = []
    for j, row in enumerate(run.report["territories"]):
        here = run.alignment.territory == j
        points = lon_lat(units.xy[here, 0], units.xy[here, 1])
        properties = _properties(row)
        shape = outline(points)
        if shape is not None:
            features.append(_feature(shape, {**properties, "kind": HULL}))
            features.append(_feature(multipoint(points), {**properties, "kind": UNITS}))
    return features


def _feature(geometry: dict[str, Any], properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "Feature", "properties": properties, "geometry": geometry}


def _properties(row: dict[str, Any]) -> dict[str, Any]:
    """A report row with one level: GIS tools show flat properties as columns."""
    flat: dict[str, Any] = {"id": row["territory_id"]}
    for key, value in row.items():
        if key == "territory_id":
            continue
        if key != "metrics":
            flat[key] = value
            continue
        for metric, figures in value.items():
            flat[metric] = figures["value"]
            flat.update({f"{metric}_{name}": figure for name, figure in figures.items() if name != "value"})
    return flat
