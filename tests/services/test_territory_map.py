"""The territory map (`balance --geojson`, services.territory_map) through the real CLI: a valid
FeatureCollection, each territory's outline and places, the same bytes each run."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import run_cli

BAD_INPUT = 2

# Five accounts around Chicago, two in Dallas (a line), one large one in Miami (a point).
ACCOUNTS = """\
account_id,lat,lon,employees
A-1,41.88,-87.63,1
A-2,41.95,-87.66,1
A-3,41.76,-88.32,1
A-4,41.70,-87.70,1
A-5,41.90,-87.90,1
B-1,32.78,-96.80,1
B-2,32.75,-97.33,1
C-1,25.76,-80.19,10
"""


def draw(folder: Path, name: str) -> dict:
    (folder / "accounts.csv").write_text(ACCOUNTS)
    result = run_cli(
        folder,
        *("balance", "--accounts", "accounts.csv", "--k", "3", "--workload", "employees"),
        *("--metric", "workload=0.9", "--metric", "count=0.9", "--aim", "1"),
        *("--geojson", name, "--report", "report.json"),
    )
    assert result.returncode == 0, result.stderr
    assert f"wrote a map of the territories to {name}" in result.stderr
    return dict(json.loads((folder / name).read_text()))


def test_each_territory_is_its_outline_then_its_places_with_its_figures(tmp_path: Path) -> None:
    collection = draw(tmp_path, "map.geojson")
    assert collection["type"] == "FeatureCollection"
    features = collection["features"]
    report = json.loads((tmp_path / "report.json").read_text())["territories"]
    assert [f["properties"]["id"] for f in features] == [t["territory_id"] for t in report for _ in (1, 2)]
    assert [f["properties"]["kind"] for f in features] == ["hull", "units"] * 3
    first = features[0]["properties"]
    assert list(first) == [
        *("id", "name", "rep_id", "capacity", "accounts", "workload", "workload_target"),
        *("workload_deviation", "workload_tolerance", "count", "count_target", "count_deviation"),
        "count_tolerance",
        *("within_tolerance", "contiguous", "compactness_km", "kind"),
    ]
    shapes = {
        f["properties"]["accounts"]: f["geometry"] for f in features if f["properties"]["kind"] == "hull"
    }
    assert shapes[1] == {"type": "Point", "coordinates": [-80.19, 25.76]}  # [lon, lat]
    assert shapes[2] == {"type": "LineString", "coordinates": [[-97.33, 32.75], [-96.8, 32.78]]}
    ring = shapes[5]["coordinates"][0]
    assert shapes[5]["type"] == "Polygon" and ring[0] == ring[-1] and len(ring) == 6  # A-1 is inside
    places = [f["geometry"] for f in features if f["properties"]["kind"] == "units"]
    assert sorted(len(p["coordinates"]) for p in places) == [1, 2, 5]
    assert all(p["type"] == "MultiPoint" for p in places)


def test_the_same_balance_draws_the_same_bytes(tmp_path: Path) -> None:
    draw(tmp_path, "a.geojson")
    draw(tmp_path, "b.geojson")
    assert (tmp_path / "a.geojson").read_bytes() == (tmp_path / "b.geojson").read_bytes()


def test_units_on_x_y_are_refused_before_the_search(tmp_path: Path) -> None:
    (tmp_path / "units.csv").write_text("id,x,y,calls\nU1,0,0,5\nU2,0,1,5\n")
    result = run_cli(tmp_path, "balance", "--units", "units.csv", "--k", "2", "--geojson", "map.geojson")
    assert result.returncode == BAD_INPUT
    assert (
        "units.csv:1: --geojson draws maps in longitude and latitude; these units are on x,y" in result.stderr
    )
    assert not (tmp_path / "map.geojson").exists()
