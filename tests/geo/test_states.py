"""State borders drawn from the county outlines: every state is there, and an edge two counties of
one state share is not a border, while the edges between states are."""

from __future__ import annotations

import json
from collections import Counter

from territorial.geo.counties import county_outlines_text
from territorial.geo.states import edges_of, rings_of, state_borders_text


def test_each_state_has_its_border_and_no_edge_inside_it() -> None:
    outlines = json.loads(county_outlines_text())["features"]
    borders = {f["id"]: f for f in json.loads(state_borders_text())["features"]}
    assert set(borders) == {str(f["id"])[:2] for f in outlines}
    drawn = {
        state: {tuple(map(tuple, segment)) for segment in feature["geometry"]["coordinates"]}
        for state, feature in borders.items()
    }
    # Every edge two counties draw: inside one state it is no border; between states it is both's.
    seen: Counter[tuple[str, tuple[tuple[float, float], tuple[float, float]]]] = Counter()
    by_edge: dict[tuple[tuple[float, float], tuple[float, float]], set[str]] = {}
    for feature in outlines:
        state = str(feature["id"])[:2]
        for ring in rings_of(feature["geometry"]):
            for edge in edges_of(ring):
                seen[(state, edge)] += 1
                by_edge.setdefault(edge, set()).add(state)
    inner = [(s, e) for (s, e), n in seen.items() if n == 2]
    between = [e for e, states in by_edge.items() if len(states) == 2]
    assert len(inner) > 10_000 and len(between) > 1_000
    assert not any(edge in drawn[state] for state, edge in inner)
    assert all(all(edge in drawn[state] for state in by_edge[edge]) for edge in between)
    assert state_borders_text() == state_borders_text()  # the same bytes every time
