"""Distances between places: great-circle kilometres for lat/lon, and a flat projection for indexing."""

from __future__ import annotations

import numpy as np

EARTH_RADIUS_KM = 6371.0088  # the mean Earth radius (IUGG)


def haversine_km(lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray) -> np.ndarray:
    """Great-circle distance in km; the arguments broadcast against each other."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dlat = p2 - p1
    dlon = np.radians(lon2) - np.radians(lon1)
    a = np.sin(dlat / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlon / 2) ** 2
    km: np.ndarray = 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))
    return km


def flat_km(lat: np.ndarray, lon: np.ndarray, origin_lat: float) -> np.ndarray:
    """An equirectangular projection in km around `origin_lat`: good enough to find neighbours and
    split regions, not to measure (use haversine_km for that). Returns an (n, 2) array x, y."""
    k = np.radians(1.0) * EARTH_RADIUS_KM
    return np.column_stack([lon * k * np.cos(np.radians(origin_lat)), lat * k])
