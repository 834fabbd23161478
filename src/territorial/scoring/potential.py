"""Account potential: a regression model of what an account is worth, e.g. its expected deal value,
learned from won opportunities."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Self

import numpy as np
import numpy.typing as npt
import polars as pl
from sklearn.base import BaseEstimator
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.linear_model import Ridge
from sklearn.metrics import r2_score
from sklearn.model_selection import KFold
from sklearn.pipeline import Pipeline

from territorial.domain.choices import PotentialEstimator, candidates
from territorial.errors import BadInput
from territorial.scoring.features import (
    Feature,
    Lines,
    Matrix,
    categorical_mask,
    encode,
    learn_features,
    linear_columns,
    single_threaded,
)
from territorial.scoring.model_file import our_string, pack_model, unpack_model

CANDIDATES = candidates(PotentialEstimator)
MODEL_MAGIC = "territorial-potential-model"
TRAIN_COMMAND = "territorial score train-potential"

# Deal values are few (hundreds to thousands of won deals) and long-tailed: small trees, a slow
# learning rate and at least 10 deals a leaf keep one huge deal from becoming a rule. Library
# defaults otherwise; not tuned on a benchmark.
GBM_SETTINGS: dict[str, Any] = {
    "learning_rate": 0.05,
    "max_iter": 300,
    "max_leaf_nodes": 7,
    "min_samples_leaf": 10,
    "l2_regularization": 1.0,
    "early_stopping": False,  # a fixed tree count keeps results independent of an inner split
}
RIDGE_ALPHA = 1.0


def potential_targets(values: pl.Series, table: Lines | None = None) -> npt.NDArray[np.float64]:
    """The target as numbers; an empty or non-number cell is bad input, located by its line."""
    target = values.name
    text = values.cast(pl.String).str.strip_chars()
    numbers = text.cast(pl.Float64, strict=False)
    bad = numbers.is_null() | numbers.is_nan()
    if bad.any():
        row = int(bad.arg_true()[0])
        shown = "an empty cell" if text[row] in (None, "") else f"'{text[row]}'"
        message = f"the target must be a number, found {shown} ({int(bad.sum())} such rows in all)"
        if table is not None:
            raise BadInput.at(message, table.file, table.line_of(row), subject=target)
        raise BadInput.at(f"data row {row + 1}: {message}", subject=target)
    return numbers.to_numpy().astype(np.float64)


def _make_part(kind: str, features: Sequence[Feature], seed: int, x: Matrix) -> Any:
    """A fresh model of `kind` for the rows `x` it will learn from (they decide which features the
    boosted trees split as categories: categorical_mask)."""
    if kind == "gbm":
        return HistGradientBoostingRegressor(
            categorical_features=categorical_mask(features, x), random_state=seed, **GBM_SETTINGS
        )
    return Pipeline([("columns", linear_columns(features)), ("model", Ridge(alpha=RIDGE_ALPHA))])


class PotentialModel(BaseEstimator):  # type: ignore[misc]
    """A model of an account's potential (a number such as the expected deal value) from a history
    table; follows scikit-learn's estimator contract.

    `estimator` is "gbm" (histogram gradient boosting), "linear" (ridge regression on one-hot
    categories and standardised numbers) or "auto": the one with the better cross-validated R²."""

    def __init__(
        self, estimator: str = PotentialEstimator.AUTO, random_state: int = 0, cv_folds: int = 5
    ) -> None:
        self.estimator = estimator
        self.random_state = random_state
        self.cv_folds = cv_folds

    @single_threaded
    def fit(self, X: pl.DataFrame, y: pl.Series, exclude: Sequence[str] = ()) -> Self:
        """Learn the potential `y` (numbers) from the history's columns `X`, leaving out `exclude`."""
        if self.estimator not in ("auto", *CANDIDATES):
            raise BadInput.at(f"unknown estimator '{self.estimator}'; use auto, {', '.join(CANDIDATES)}")
        frame, target = X, y.name
        values = potential_targets(y)
        features, dropped = learn_features(frame, target, exclude)
        x = encode(frame, features)
        candidates = [c for c in CANDIDATES if self.estimator in ("auto", c)]  # see our_string
        self.cv_r2_: dict[str, float] = {}
        self.cv_prediction_: npt.NDArray[np.float64] | None = None
        folds = min(self.cv_folds, len(values))
        if folds >= 2:
            splitter = KFold(n_splits=folds, shuffle=True, random_state=self.random_state)
            out_of_fold = {kind: np.zeros(len(values), dtype=np.float64) for kind in candidates}
            for train, test in splitter.split(x):
                for kind in candidates:
                    rows = x[train]
                    part = _make_part(kind, features, self.random_state, rows).fit(rows, values[train])
                    out_of_fold[kind][test] = part.predict(x[test])
            best = -math.inf
            for kind in candidates:
                r2 = float(r2_score(values, out_of_fold[kind]))
                self.cv_r2_[kind] = r2
                if r2 > best:  # ties keep the earlier candidate
                    best, self.chosen_estimator_, self.cv_prediction_ = r2, kind, out_of_fold[kind]
        else:
            self.chosen_estimator_ = "gbm" if self.estimator == "auto" else candidates[0]
        self.model_ = _make_part(self.chosen_estimator_, features, self.random_state, x).fit(x, values)
        self.features_ = features
        self.dropped_columns_ = dropped
        self.target_ = target
        self.excluded_columns_ = list(exclude)
        self.cv_targets_ = values
        return self

    @single_threaded
    def predict(self, frame: pl.DataFrame) -> Matrix:
        """The predicted potential of each row."""
        return np.asarray(self.model_.predict(encode(frame, self.features_)), dtype=np.float64)

    def __getstate__(self) -> dict[str, Any]:
        """The saved state leaves out the version, which is derived from that state."""
        state: dict[str, Any] = dict(super().__getstate__())
        state.pop("version_", None)
        state["estimator"] = our_string(state["estimator"], ("auto", *CANDIDATES))
        return state

    def to_bytes(self, training_fingerprint: str = "") -> bytes:
        """The model file's content; its version (a hash of the training data and the model) is
        `version_` from then on."""
        header = {"estimator": self.chosen_estimator_, "target": self.target_}
        data, self.version_ = pack_model(self, MODEL_MAGIC, header, training_fingerprint)
        return data

    @staticmethod
    def from_bytes(data: bytes, name: str) -> PotentialModel:
        """The model in a model file's content (`name` is the file, for messages). Pickle runs code:
        load only files you trained."""
        model, version = unpack_model(data, name, MODEL_MAGIC, PotentialModel, TRAIN_COMMAND)
        model.version_ = version
        return model
