"""Outlines for the map (geo.shapes): a convex hull, or the line or point it comes down to."""

from __future__ import annotations

import numpy as np

from territorial.geo.shapes import lon_lat, multipoint, outline


def test_places_are_lon_lat_rounded_distinct_and_sorted() -> None:
    points = lon_lat(np.array([41.1234567, 41.1234567, 40.0]), np.array([-87.5, -87.5, -0.0000001]))
    assert points.tolist() == [[-87.5, 41.123457], [0.0, 40.0]]
    assert multipoint(points) == {"type": "MultiPoint", "coordinates": [[-87.5, 41.123457], [0.0, 40.0]]}


def test_a_hull_is_a_closed_counter_clockwise_ring_from_its_lowest_left_corner() -> None:
    lat = np.array([1.0, 0.0, 1.0, 0.0, 0.5])  # a unit square and its centre
    lon = np.array([1.0, 1.0, 0.0, 0.0, 0.5])
    shape = outline(lon_lat(lat, lon))
    assert shape == {
        "type": "Polygon",
        "coordinates": [[[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0], [0.0, 0.0]]],
    }
    ring = np.array(shape["coordinates"][0])
    area = np.sum(ring[:-1, 0] * ring[1:, 1] - ring[1:, 0] * ring[:-1, 1]) / 2
    assert area > 0  # counter-clockwise, as RFC 7946 asks of an outer ring


def test_places_on_one_line_are_a_line_between_its_ends() -> None:
    lat = np.array([40.0, 41.0, 42.0, 41.0])
    lon = np.array([-80.0, -81.0, -82.0, -81.0])
    assert outline(lon_lat(lat, lon)) == {"type": "LineString", "coordinates": [[-82.0, 42.0], [-80.0, 40.0]]}


def test_two_places_are_a_line_and_one_place_a_point() -> None:
    two = outline(lon_lat(np.array([40.0, 41.0]), np.array([-80.0, -80.0])))
    assert two == {"type": "LineString", "coordinates": [[-80.0, 40.0], [-80.0, 41.0]]}
    one = outline(lon_lat(np.array([40.0, 40.0]), np.array([-80.0, -80.0])))  # twice the same place
    assert one == {"type": "Point", "coordinates": [-80.0, 40.0]}
    assert outline(lon_lat(np.array([]), np.array([]))) is None
