"""Territory names (optimize.names): the rep's name, else the largest cities covered, else the id;
always unique."""

from __future__ import annotations

import numpy as np

from territorial.geo.cities import load_cities
from territorial.optimize.names import territory_names, unique_names

# Real accounts' places: three in and around Chicago, two in Milwaukee, two in Saint Louis.
POINTS = np.array(
    [
        [41.8781, -87.6298],  # the Loop
        [41.9484, -87.6553],  # Lakeview: GeoNames' nearest place is not "Chicago"
        [41.7606, -88.3201],  # Aurora
        [43.0389, -87.9065],  # Milwaukee
        [43.0500, -87.9500],
        [38.6270, -90.1994],  # St. Louis
        [38.6400, -90.2500],
    ]
)


def test_the_reps_name_comes_first_then_cities_then_the_id() -> None:
    labels = np.array([0, 0, 0, 0, 0, 1, 1])
    names = territory_names(["T-1", "T-2", "T-3"], ["Ana Diaz", None, None], labels, POINTS, load_cities())
    assert names == ["Ana Diaz", "St. Louis – Florissant (MO)", "T-3"]  # T-3 has no accounts


def test_the_two_largest_cities_covered_name_a_territory_with_their_states_sorted() -> None:
    labels = np.array([0, 0, 0, 0, 0, 1, 1])
    names = territory_names(["T-1", "T-2"], [None, None], labels, POINTS, load_cities())
    assert names == ["Chicago – Milwaukee (IL, WI)", "St. Louis – Florissant (MO)"]


def test_a_city_is_named_by_the_territory_of_its_nearest_account_only() -> None:
    labels = np.array([0, 1, 1, 1, 1, 1, 1])  # the Loop alone in T-1
    names = territory_names(["T-1", "T-2"], [None, None], labels, POINTS, load_cities())
    assert names[0].startswith("Chicago – ")
    assert "Chicago" not in names[1]


def test_units_on_x_y_keep_their_ids() -> None:
    labels = np.array([0, 1])
    assert territory_names(["T-1", "T-2"], [None, None], labels, None, None) == ["T-1", "T-2"]


def test_names_are_unique_whatever_their_source() -> None:
    labels = np.array([0, 0, 0, 1, 1, 2, 2])
    names = territory_names(["a", "b", "c"], ["Sam Lee", "sam lee", None], labels, POINTS, load_cities())
    assert names == ["Sam Lee", "sam lee 2", "St. Louis – Florissant (MO)"]
    assert unique_names(["X", "X", "X 2", "x"]) == ["X", "X 3", "X 2", "x 4"]


def test_boroughs_neighbourhoods_and_a_few_far_accounts_do_not_name_a_territory() -> None:
    """GeoNames lists Brooklyn and New South Memphis (with more people than Memphis) as places;
    eleven Boston accounts and one in Manhattan are a Boston territory."""
    points = np.array(
        [
            [40.7128, -74.0060],  # Manhattan
            [40.6782, -73.9442],  # Brooklyn
            [35.1495, -90.0490],  # Memphis
            [35.0868, -90.0568],  # New South Memphis
            [42.3601, -71.0589],  # Boston
            [42.3500, -71.0700],
            [42.3700, -71.1000],
            [42.3400, -71.0500],
            [42.3550, -71.0650],
            [42.3650, -71.0600],
            [42.3450, -71.0550],
            [42.3580, -71.0620],
            [42.3620, -71.0680],
            [42.3590, -71.0610],
            [42.3610, -71.0630],
            [40.7500, -73.9900],  # one account in Manhattan
        ]
    )
    labels = np.array([0, 0, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2])
    names = territory_names(["T-1", "T-2", "T-3"], [None] * 3, labels, points, load_cities())
    assert "Brooklyn" not in names[0] and names[0].startswith("New York City")
    assert names[1].startswith("Memphis") and "New South Memphis" not in names[1]
    assert names[2].startswith("Boston") and "New York" not in names[2]
