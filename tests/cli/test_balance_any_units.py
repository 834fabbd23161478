"""`territorial balance` on units files drawn the way real ones come: real ZIP points, skewed float
activities, the column names users have, with and without edges. Every answer is an alignment
(exit 0) or a located message (exit 2), never an internal error (exit 1)."""

from __future__ import annotations

import functools
import json
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.spatial import Delaunay

from conftest import examples, run_cli
from territorial.generate.accounts import populated_zips

BAD_INPUT = 2
# Activity column names as real files have them: the count-like ones included.
NAMES = ("workload", "accounts", "count", "revenue", "calls", "potential")


@functools.cache
def zip_points() -> np.ndarray:
    """Every populated ZIP's (lat, lon), in ZIP order."""
    frame = populated_zips().sort("zip")
    return np.column_stack([frame["lat"].to_numpy(), frame["lon"].to_numpy()])


def units_file(folder: Path, draw: Any) -> tuple[list[str], list[str], int, np.ndarray]:
    """A units file of n real ZIP points near one another; returns the metric names, the
    coordinate names, n and the points."""
    points = zip_points()
    n = draw(st.integers(20, 300))
    centre = points[draw(st.integers(0, len(points) - 1))]
    nearest = np.argsort(np.hypot(*(points - centre).T), kind="stable")[:n]
    xy = points[np.sort(nearest)]
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    names = draw(st.lists(st.sampled_from(NAMES), min_size=1, max_size=3, unique=True))
    coordinates = draw(
        st.sampled_from([["lat", "lon"], ["latitude", "longitude"], ["Latitude", "Longitude"]])
    )
    columns: dict[str, Any] = {"id": [f"Z{i:03d}" for i in range(n)]}
    columns[coordinates[0]], columns[coordinates[1]] = xy[:, 0], xy[:, 1]
    for name in names:
        values = rng.lognormal(0.0, draw(st.floats(0.1, 2.5)), n)
        shape = draw(st.sampled_from(["skewed", "zeros", "one heavy", "all zero"]))
        if shape == "zeros":
            values[rng.random(n) < 0.3] = 0.0
        elif shape == "one heavy":
            values[rng.integers(n)] = values.sum() * draw(st.floats(0.2, 3.0))
        elif shape == "all zero":
            values[:] = 0.0
        columns[name] = np.round(values, 3)
    pl.DataFrame(columns).write_csv(folder / "units.csv")
    return names, coordinates, n, xy


def edges_file(folder: Path, xy: np.ndarray, keep: float) -> None:
    """Delaunay edges between the points, a share `keep` of them (fewer leaves islands)."""
    triangles = Delaunay(xy + np.arange(len(xy))[:, None] * 1e-9).simplices
    pairs = {
        tuple(sorted((int(a), int(b))))
        for t in triangles
        for a, b in ((t[0], t[1]), (t[1], t[2]), (t[0], t[2]))
    }
    kept = [p for i, p in enumerate(sorted(pairs)) if (i * 7919) % 100 < keep * 100]
    lines = ["a,b", *(f"Z{a:03d},Z{b:03d}" for a, b in kept)]
    (folder / "edges.csv").write_text("\n".join(lines) + "\n")


@settings(
    max_examples=examples(25, 200), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_any_units_file_gives_an_alignment_or_a_located_message(tmp_path: Path, data: st.DataObject) -> None:
    folder = Path(tempfile.mkdtemp(dir=tmp_path))  # hypothesis runs many cases in one tmp_path
    names, _coordinates, n, xy = units_file(folder, data.draw)
    k = data.draw(st.integers(1, min(30, n + 2)))
    args = ["balance", "--units", "units.csv", "--k", str(k), "--time-limit", "5", "--out", "a.csv"]
    args += ["--report", "r.json"]
    for name in data.draw(
        st.lists(st.sampled_from([*names, "count", "@count"]), min_size=1, max_size=3, unique=True)
    ):
        args += ["--metric", f"{name}={data.draw(st.sampled_from(['0.02', '0.05', '0.1', '0.2']))}"]
    if data.draw(st.booleans()):
        edges_file(folder, xy, data.draw(st.sampled_from([1.0, 0.7])))
        args += ["--edges", "edges.csv"]
    if data.draw(st.booleans()):
        args.append("--contiguous")
    if data.draw(st.booleans()):
        args.append("--best-effort")
    result = run_cli(folder, *args)
    assert result.returncode in (0, BAD_INPUT), result.stderr
    assert "internal error" not in result.stderr
    if result.returncode == 0:
        assert pl.read_csv(folder / "a.csv").height == n
        report = json.loads((folder / "r.json").read_text())
        assert report["totals"]["territories"] == k
    else:
        assert result.stderr.strip(), "an exit 2 says why"


def test_a_unit_heavier_than_a_cell_leaves_no_cell_empty(tmp_path: Path) -> None:
    """The coarse start cuts the map into cells of about ten units' workload: one ZIP with 12% of
    it (under a territory's 20%, over a cell's 3%) used to leave cells empty, whose centre was 0/0
    ("data must be finite", exit 1)."""
    xy = zip_points()[:300]
    workload = np.ones(300)
    workload[17] = 40.0
    ids = [f"Z{i:03d}" for i in range(300)]
    units = pl.DataFrame({"id": ids, "lat": xy[:, 0], "lon": xy[:, 1], "w1": workload})
    units.write_csv(tmp_path / "units.csv")
    for contiguous in ([], ["--contiguous"]):
        args = ("balance", "--units", "units.csv", "--k", "5", "--metric", "w1=0.05", "--out", "a.csv")
        result = run_cli(tmp_path, *args, *contiguous)
        assert result.returncode == 0, result.stderr
        assert "5/5 within tolerance" in result.stderr


@pytest.mark.parametrize("k", [5, 30])
def test_more_territories_than_units_is_refused_by_name(tmp_path: Path, k: int) -> None:
    xy = zip_points()[:4]
    pl.DataFrame(
        {"id": ["a", "b", "c", "d"], "lat": xy[:, 0], "lon": xy[:, 1], "calls": [1.0, 2, 3, 4]}
    ).write_csv(tmp_path / "units.csv")
    result = run_cli(tmp_path, "balance", "--units", "units.csv", "--k", str(k))
    assert result.returncode == BAD_INPUT
    assert f"{k} territories but only 4 units" in result.stderr


def edge_case(name: str, folder: Path) -> list[str]:
    """Writes the units (and edges) of one well-formed but awkward request; returns its options."""
    xy = zip_points()[:40]
    ids = [f"Z{i:03d}" for i in range(40)]
    calls = np.linspace(1.0, 3.0, 40)
    args = ["--k", "4"]
    if name == "coincident points":
        xy = np.repeat(xy[:10], 4, axis=0)
    elif name == "all-zero metric":
        calls = np.zeros(40)
    elif name == "one unit per territory":
        args = ["--k", "40"]
    elif name in ("disconnected edges", "isolated units"):
        pairs = (
            [(i, i + 1) for i in range(39) if i != 19] if name == "disconnected edges" else [(0, 1), (1, 2)]
        )
        lines = ["a,b", *(f"{ids[a]},{ids[b]}" for a, b in pairs)]
        (folder / "edges.csv").write_text("\n".join(lines) + "\n")
        args += ["--edges", "edges.csv"]
    pl.DataFrame({"id": ids, "lat": xy[:, 0], "lon": xy[:, 1], "calls": calls}).write_csv(
        folder / "units.csv"
    )
    return args


EDGE_CASES = [
    "coincident points",
    "all-zero metric",
    "one unit per territory",
    "disconnected edges",
    "isolated units",
]


@pytest.mark.parametrize("case", EDGE_CASES)
@pytest.mark.parametrize("contiguous", [False, True])
def test_awkward_requests_get_an_answer_or_a_located_message(
    tmp_path: Path, case: str, contiguous: bool
) -> None:
    args = edge_case(case, tmp_path)
    flags = ["--contiguous"] if contiguous else []
    result = run_cli(
        tmp_path, "balance", "--units", "units.csv", *args, *flags, "--time-limit", "5", "--out", "a.csv"
    )
    assert result.returncode in (0, BAD_INPUT), result.stderr
    assert "internal error" not in result.stderr
    if result.returncode == BAD_INPUT:
        assert "units.csv" in result.stderr or "--" in result.stderr, "the message says where"


def test_contiguous_over_more_pieces_than_territories_is_refused_naming_a_lone_unit(tmp_path: Path) -> None:
    """An edges file that leaves 38 units without a neighbour cannot give 4 connected territories:
    it used to end with exit 0 and territories in pieces, unwarned."""
    args = edge_case("isolated units", tmp_path)
    for extra in ([], ["--best-effort"]):
        result = run_cli(tmp_path, "balance", "--units", "units.csv", *args, "--contiguous", *extra)
        assert result.returncode == BAD_INPUT, result.stderr
        assert "--contiguous impossible" in result.stderr and "separate pieces" in result.stderr
        assert "has no neighbour" in result.stderr


def test_warnings_name_broken_territories_and_metrics_with_nothing_to_balance(tmp_path: Path) -> None:
    args = edge_case("all-zero metric", tmp_path)
    result = run_cli(
        tmp_path, "balance", "--units", "units.csv", *args, "--metric", "calls=0.05", "--report", "r.json"
    )
    assert result.returncode == 0, result.stderr
    assert "calls is 0 for every unit" in result.stderr
    assert any(
        "nothing of it to balance" in w for w in json.loads((tmp_path / "r.json").read_text())["warnings"]
    )


def test_a_units_row_without_an_id_is_named_by_the_id_column(tmp_path: Path) -> None:
    (tmp_path / "units.csv").write_text("id,lat,lon,calls\nA,40.7,-74.0,1\nB,40.8,-74.1,2\n,,,\n")
    result = run_cli(tmp_path, "balance", "--units", "units.csv", "--k", "2")
    assert result.returncode == BAD_INPUT
    assert "units.csv:4" in result.stderr and "id is empty" in result.stderr
    assert "account_id" not in result.stderr
