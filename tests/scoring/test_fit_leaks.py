"""Columns that alone tell converted from lost rows are named: they are usually recorded after the
outcome, and a model that reads them scores new leads badly."""

from __future__ import annotations

from pathlib import Path

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


def test_boosted_trees_read_a_category_with_no_kept_level_the_right_way_up() -> None:
    """Olist's Salesforce leads: industry is filled in only for sellers, each value rare. As a
    category, scikit-learn's boosted trees scored every converter near 0 (ROC AUC 1.0 all the same)."""
    from territorial.scoring.fit import FitModel
    from territorial.services.scoring import FIT_ENTITIES, scored_file

    crm = Path(__file__).resolve().parents[1] / "data" / "crm" / "sf_leads_olist.csv"
    table, named = scored_file(crm, "salesforce", FIT_ENTITIES)
    label = named("IsConverted")
    frame = table.frame.drop(named("Status"))
    model = FitModel(estimator="gbm", cv_folds=2).fit(frame.drop(label), frame.get_column(label))
    chance = model.predict_proba(frame.drop(label))[:, 1]
    converted = conversion_labels(frame.get_column(label)) == 1
    assert chance[converted].min() > 0.9 and chance[~converted].max() < 0.1


def test_a_category_seen_with_one_code_in_the_rows_learnt_from_is_split_as_a_number() -> None:
    """A kept level and a rare one over the whole history, but only the kept level (and missing) in
    the rows a fold learns from: as a category, scikit-learn 1.9's boosted trees then predict one
    constant far from the base rate (about 0.01 here, where half the rows converted)."""
    from territorial.scoring.features import Feature, categorical_mask
    from territorial.scoring.fit import _make_gbm

    rng = np.random.default_rng(0)
    converted = np.repeat([1, 0], 60)
    # The one level marks most converters; the rest are missing.
    column = np.where((converted == 1) & (rng.random(120) < 0.8), 0.0, np.nan)
    state = Feature("state", "category", levels=("SP",))
    x = column[:, None]
    assert categorical_mask([state]) == [True]  # two codes over the history: the level and "rare"
    assert categorical_mask([state], x) is None  # one code in these rows
    # One of the bag's boosted-tree models, as the bag builds it for these rows (one is faster).
    trees = _make_gbm([state], 0, x).estimators[0][1]
    chance = trees.fit(x, converted).predict_proba(x)[:, 1]
    assert abs(chance.mean() - 0.5) < 0.02
    assert chance[converted == 1].mean() > 0.7 > 0.3 > chance[converted == 0].mean()
