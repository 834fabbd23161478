"""Adjacency for contiguity: k nearest neighbours, region (county) borders, and bridging islands."""

from __future__ import annotations

import numpy as np
import polars as pl
from scipy.sparse import coo_array
from scipy.sparse.csgraph import connected_components

from territorial.geo.counties import all_counties, county_adjacency, county_of_zips, neighbour_pairs
from territorial.optimize.adjacency import bridge_components, knn_edges, region_edges


def pieces(n: int, edges: np.ndarray) -> int:
    graph = coo_array((np.ones(len(edges)), (edges[:, 0], edges[:, 1])), shape=(n, n))
    count, _labels = connected_components(graph, directed=False)
    return int(count)


def as_set(edges: np.ndarray) -> set[tuple[int, int]]:
    return {(int(min(a, b)), int(max(a, b))) for a, b in edges}


def test_knn_joins_near_points_and_bridges_far_clusters() -> None:
    left = [(x, y) for x in range(3) for y in range(3)]
    right = [(100 + x, y) for x in range(3) for y in range(3)]
    points = np.array(left + right, dtype=float)
    edges = knn_edges(points, k=3)
    assert pieces(len(points), edges) == 1
    assert (0, 1) in as_set(edges)
    crossing = [(a, b) for a, b in as_set(edges) if (a < 9) != (b < 9)]
    assert len(crossing) == 1  # one bridge between the clusters


def test_units_on_one_spot_share_their_spots_neighbours() -> None:
    points = np.array([[0.0, 0.0], [0.0, 0.0], [1.0, 0.0], [2.0, 0.0]])
    edges = as_set(knn_edges(points, k=1))
    assert {(0, 1), (0, 2), (1, 2)} <= edges


def test_region_edges_follow_borders_and_cross_empty_regions() -> None:
    # Regions 0 - 1 - 2 in a row (0 and 2 do not touch); region 3 is an island far away.
    pairs = np.array([[0, 1], [1, 2]])
    r0 = [(0.0, y) for y in range(3)]
    r1 = [(5.0, y) for y in range(3)]
    r2 = [(10.0, y) for y in range(3)]
    island = [(50.0, 0.0)]
    points = np.array(r0 + r1 + r2 + island)
    region = np.array([0] * 3 + [1] * 3 + [2] * 3 + [3])
    edges = region_edges(points, region, pairs, regions=4)
    links = {(int(min(region[a], region[b])), int(max(region[a], region[b]))) for a, b in edges}
    assert (0, 2) not in links  # region 1 lies between them
    assert {(0, 0), (0, 1), (1, 1), (1, 2), (2, 2)} <= links
    assert pieces(len(points), edges) == 1  # the island is bridged
    # Without units in region 1, regions 0 and 2 border the same empty stretch: crossed freely.
    keep = region != 1
    empty_middle = region_edges(points[keep], region[keep], pairs, regions=4)
    rkept = region[keep]
    assert any({int(rkept[a]), int(rkept[b])} == {0, 2} for a, b in empty_middle)


def test_bridge_components_leaves_a_connected_graph_alone() -> None:
    points = np.array([[0.0, 0.0], [1.0, 0.0], [2.0, 0.0]])
    edges = np.array([[0, 1], [1, 2]])
    assert as_set(bridge_components(points, edges)) == {(0, 1), (1, 2)}


def test_bundled_county_adjacency() -> None:
    table = county_adjacency()
    assert table.height == 9004
    assert (table["county_a"] < table["county_b"]).all()
    assert table["county_a"].str.contains(r"^\d{5}$").all()
    assert (
        table.filter((table["county_a"] == "17031") & (table["county_b"] == "17043")).height == 1
    )  # Cook, DuPage
    assert "25019" not in all_counties()  # Nantucket, an island: no neighbour
    assert "25019" in all_counties(["25019"])
    assert neighbour_pairs(["17043", "17031", "25019"]).tolist() == [[1, 0]]
    assert county_of_zips(pl.Series(["60601", "2554", "00501", "xxxxx"])).to_list() == [
        "17031",
        "25019",
        None,  # a PO-box-only ZIP has no county
        None,
    ]
