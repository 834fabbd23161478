"""Territory names a planner reads at a glance: the rep's name, else the largest places covered
("Chicago – Milwaukee (IL, WI)"), else the territory id; unique within an alignment."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl
from scipy.spatial import cKDTree

from territorial.geo.distance import flat_km
from territorial.optimize.keys import distinct

# Two places say where a territory is; a third makes names too long for a map legend or a table.
NAMED_PLACES = 2
PLACE_SEPARATOR = " – "
# A city is in a territory when the territory's nearest unit is at most this far from it: about a
# metro area's reach (Chicago's Loop to O'Hare is 25 km), so suburbs name their city's territory.
COVERED_KM = 25.0
# A city names a territory when at least this share of its units are within COVERED_KM of it: a
# few far accounts do not name it. On the demo's 24 territories a fifth dropped Miami and San
# Francisco from the territories around them; a tenth kept them.
HELD_SHARE = 0.1
# Places closer than this to a larger place already named are its boroughs or neighbourhoods.
SAME_METRO_KM = 20.0


def territory_names(
    ids: Sequence[str],
    rep_names: Sequence[str | None],
    labels: np.ndarray,
    points: np.ndarray | None,
    cities: pl.DataFrame | None,
) -> list[str]:
    """Each territory's name: its rep's name when known; else, for units on lat,lon (`points`, and
    the city table: name, state, lat, lon, population), the largest cities it covers, most populous
    first, with their states in the same order (see _nearest_places); else its id. A name that is taken gets
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
    a territory that has no such city takes the cities nearest its units. Of those, the cities
    with at least HELD_SHARE of its units within COVERED_KM come first, and a city within
    SAME_METRO_KM of a larger one already named is passed over. Seen from the units
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
    tree = cKDTree(places)
    found = []
    for j in range(k):
        mine = units[labels == j]
        covered = np.flatnonzero(owner == j) if (owner == j).any() else distinct(nearest[labels == j])
        if not covered.size:
            found.append("")
            continue
        # A city names a territory only where a real share of its units are: a Boston rep with a
        # few accounts in New York is not "Queens – Manhattan".
        near = cKDTree(mine).query_ball_point(places[covered], r=COVERED_KM, return_length=True)
        held = covered[near >= max(1.0, HELD_SHARE * len(mine))]
        ranked = sorted(
            (held if held.size else covered).tolist(), key=lambda i: (-population[i], names[i], states[i])
        )
        largest: list[int] = []
        for i in (_city_proper(i, places, names, states, tree) for i in ranked):
            # GeoNames lists boroughs and neighbourhoods as places: Brooklyn beside New York City,
            # South Boston beside Boston. A place that close to a larger one named is passed over.
            if all(np.hypot(*(places[i] - places[c])) > SAME_METRO_KM for c in largest):
                largest.append(i)
            if len(largest) == NAMED_PLACES:
                break
        cities_named = PLACE_SEPARATOR.join(dict.fromkeys(names[i] for i in largest))
        found.append(f"{cities_named} ({', '.join(dict.fromkeys(states[i] for i in largest))})")
    return found


def _city_proper(i: int, places: np.ndarray, names: list[str], states: list[str], tree: cKDTree) -> int:
    """The city a neighbourhood is named after, when it is within SAME_METRO_KM in the same state
    ("New South Memphis" is Memphis, "South Boston" Boston: GeoNames gives New South Memphis more
    people than Memphis); else the place itself."""
    for c in sorted(tree.query_ball_point(places[i], r=SAME_METRO_KM)):
        if c != i and states[c] == states[i] and names[i].endswith(" " + names[c]):
            return int(c)
    return i


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
