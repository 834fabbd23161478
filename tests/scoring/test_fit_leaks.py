"""Columns that alone tell converted from lost rows are named: they are usually recorded after the
outcome, and a model that reads them scores new leads badly."""

from __future__ import annotations

import numpy as np
import polars as pl

from territorial.scoring.features import encode, learn_features
from territorial.scoring.fit import conversion_labels, telling_features


def history(rows: int = 200, seed: int = 3) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    converted = rng.integers(0, 2, rows)
    return pl.DataFrame(
        {
            "converted": converted.astype(str),
            # Filled in only once the lead converted, as a status or a customer's address is.
            "status": np.where(converted == 1, "Closed - Converted", "Open").tolist(),
            "postal_code": [f"{10000 + i}" if c else None for i, c in enumerate(converted)],
            "employees": (rng.lognormal(4, 1, rows)).round().tolist(),  # noise
            "source": rng.choice(["web", "event", "partner"], rows).tolist(),  # noise
            "visits": (converted * 2 + rng.integers(0, 4, rows)).tolist(),  # a signal, far from perfect
        }
    )


def test_columns_recorded_after_the_outcome_are_named_and_honest_ones_are_not() -> None:
    frame = history()
    features, _dropped = learn_features(frame.drop("converted"), "converted", [])
    labels = conversion_labels(frame.get_column("converted"))
    telling = telling_features(encode(frame.drop("converted"), features), labels, features)
    assert "status" in telling and "postal_code" in telling
    assert not {"employees", "source", "visits"} & set(telling)


def test_nothing_is_named_when_no_column_gives_the_outcome_away() -> None:
    frame = history().drop("status", "postal_code")
    features, _dropped = learn_features(frame.drop("converted"), "converted", [])
    labels = conversion_labels(frame.get_column("converted"))
    assert telling_features(encode(frame.drop("converted"), features), labels, features) == []
