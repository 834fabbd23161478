"""Territory names a planner reads at a glance: the rep's name, else the largest places covered
("Chicago – Milwaukee (IL, WI)"), else the territory id; unique within an alignment."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl
from scipy.spatial import cKDTree

from territorial.geo.distance import flat_km

# Two places say where a territory is; a third makes names too long for a map legend or a table.
NAMED_PLACES = 2
PLACE_SEPARATOR = " – "
# A city is in a territory when the territory's nearest unit is at most this far from it: about a
# metro area's reach (Chicago's Loop to O'Hare is 25 km), so suburbs name their city's territory.
COVERED_KM = 25.0


def territory_names(
    ids: Sequence[str],
    rep_names: Sequence[str | None],
    labels: np.ndarray,
    points: np.ndarray | None,
    cities: pl.DataFrame | None,
) -> list[str]:
    """Each territory's name: its rep's name when known; else, for units on lat,lon (`points`, and
    the city table: name, state, lat, lon, population), the largest cities it covers, most populous
    first, with their states sorted (see _nearest_places); else its id. A name that is taken gets
    " 2", " 3"... in territory order."""
    places = _nearest_places(labels, points, cities, len(ids)) if points is not None else None
    names = []
    for j, territory_id in enumerate(ids):
        if rep_names[j]:
            names.append(str(rep_names[j]))
        elif places is not None and places[j]:
            names.append(places[j])
        else:
            names.append(territory_id)
    return unique_names(names)


def _nearest_places(labels: np.ndarray, points: np.ndarray, cities: pl.DataFrame | None, k: int) -> list[str]:
    """Per territory, its NAMED_PLACES most populous cities and their states ("" without units).

    A city is a territory's when the unit nearest to it is the territory's and within COVERED_KM;
    a territory that has no such city takes the cities nearest its units. Seen from the units
    alone, a city is rarely any unit's nearest place: GeoNames lists neighbourhoods (Lincoln Park,
    Lakeview) as places, so accounts in Chicago are nearest to those, not to Chicago."""
    if cities is None or not len(points) or cities.is_empty():
        return [""] * k
    origin = float(np.mean(points[:, 0]))
    places = flat_km(cities["lat"].to_numpy(), cities["lon"].to_numpy(), origin)
    units = flat_km(points[:, 0], points[:, 1], origin)
    km, unit = cKDTree(units).query(places)
    owner = np.where(km <= COVERED_KM, labels[unit], -1)
    _km, nearest = cKDTree(places).query(units)
    names, states = cities["name"].to_list(), cities["state"].to_list()
    population = cities["population"].fill_null(0).to_list()
    found = []
    for j in range(k):
        covered = np.flatnonzero(owner == j).tolist() or np.unique(nearest[labels == j]).tolist()
        largest = sorted(covered, key=lambda i: (-population[i], names[i], states[i]))[:NAMED_PLACES]
        if not largest:
            found.append("")
            continue
        cities_named = PLACE_SEPARATOR.join(dict.fromkeys(names[i] for i in largest))
        found.append(f"{cities_named} ({', '.join(sorted({states[i] for i in largest}))})")
    return found


def unique_names(names: Sequence[str]) -> list[str]:
    """The names, each taken one after another: a name already taken (ignoring case) gets the
    smallest " 2", " 3"... that is free."""
    taken = {name.casefold() for name in names}
    seen: set[str] = set()
    result = []
    for name in names:
        chosen = name
        if name.casefold() in seen:
            n = 2
            while f"{name} {n}".casefold() in taken | seen:
                n += 1
            chosen = f"{name} {n}"
        seen.add(chosen.casefold())
        result.append(chosen)
    return result
