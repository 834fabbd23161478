"""Account potential: a regression model of what an account is worth, e.g. its expected deal value,
learned from won opportunities."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol, Self

import numpy as np
import numpy.typing as npt
import polars as pl
from sklearn.base import BaseEstimator
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.linear_model import Ridge
from sklearn.metrics import mean_absolute_error, r2_score
from sklearn.model_selection import KFold
from sklearn.pipeline import Pipeline

from territorial.errors import BadInput
from territorial.io.tables import RawTable, read_table
from territorial.scoring.features import (
    Feature,
    Matrix,
    categorical_mask,
    encode,
    learn_features,
    linear_columns,
    single_threaded,
)
from territorial.scoring.model_file import fingerprint, load_model, our_string, save_model

PotentialEstimator = Literal["auto", "gbm", "linear"]
CANDIDATES: tuple[str, ...] = ("gbm", "linear")
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


@dataclass(frozen=True)
class PotentialReport:
    """What `territorial score train-potential` prints: cross-validated error and the model's identity."""

    estimator: str
    version: str
    rows: int
    target: str
    target_mean: float
    r2: float
    mae: float
    candidate_r2: dict[str, float]
    features: list[str]
    excluded: list[str]
    dropped: list[str]


class Lines(Protocol):
    """Where history rows come from: a file and each row's line in it."""

    file: str

    def line_of(self, row: int) -> int: ...


def _targets(frame: pl.DataFrame, target: str, table: Lines | None = None) -> npt.NDArray[np.float64]:
    """The target as numbers; an empty or non-number cell is bad input, located by its line."""
    if target not in frame.columns:
        raise BadInput.at(
            f"there is no target column '{target}'; columns are: {', '.join(frame.columns)}",
            table.file if table else None,
        )
    text = frame.get_column(target).cast(pl.String).str.strip_chars()
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


def _make_part(kind: str, features: Sequence[Feature], seed: int) -> Any:
    if kind == "gbm":
        return HistGradientBoostingRegressor(
            categorical_features=categorical_mask(features), random_state=seed, **GBM_SETTINGS
        )
    return Pipeline([("columns", linear_columns(features)), ("model", Ridge(alpha=RIDGE_ALPHA))])


class PotentialModel(BaseEstimator):  # type: ignore[misc]
    """A model of an account's potential (a number such as the expected deal value) from a history
    table; follows scikit-learn's estimator contract.

    `estimator` is "gbm" (histogram gradient boosting), "linear" (ridge regression on one-hot
    categories and standardised numbers) or "auto": the one with the better cross-validated R²."""

    def __init__(
        self, estimator: PotentialEstimator = "auto", random_state: int = 0, cv_folds: int = 5
    ) -> None:
        self.estimator = estimator
        self.random_state = random_state
        self.cv_folds = cv_folds

    @single_threaded
    def fit(self, frame: pl.DataFrame, target: str, exclude: Sequence[str] = ()) -> Self:
        if self.estimator not in ("auto", *CANDIDATES):
            raise BadInput.at(f"unknown estimator '{self.estimator}'; use auto, {', '.join(CANDIDATES)}")
        y = _targets(frame, target)
        features, dropped = learn_features(frame, target, exclude)
        x = encode(frame, features)
        candidates = [c for c in CANDIDATES if self.estimator in ("auto", c)]  # see our_string
        self.cv_r2_: dict[str, float] = {}
        self.cv_prediction_: npt.NDArray[np.float64] | None = None
        folds = min(self.cv_folds, len(y))
        if folds >= 2:
            splitter = KFold(n_splits=folds, shuffle=True, random_state=self.random_state)
            out_of_fold = {kind: np.zeros(len(y), dtype=np.float64) for kind in candidates}
            for train, test in splitter.split(x):
                for kind in candidates:
                    part = _make_part(kind, features, self.random_state).fit(x[train], y[train])
                    out_of_fold[kind][test] = part.predict(x[test])
            best = -math.inf
            for kind in candidates:
                r2 = float(r2_score(y, out_of_fold[kind]))
                self.cv_r2_[kind] = r2
                if r2 > best:  # ties keep the earlier candidate
                    best, self.chosen_estimator_, self.cv_prediction_ = r2, kind, out_of_fold[kind]
        else:
            self.chosen_estimator_ = "gbm" if self.estimator == "auto" else candidates[0]
        self.model_ = _make_part(self.chosen_estimator_, features, self.random_state).fit(x, y)
        self.features_ = features
        self.dropped_columns_ = dropped
        self.target_ = target
        self.excluded_columns_ = list(exclude)
        self.cv_targets_ = y
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

    def save(self, path: str | Path, training_fingerprint: str = "") -> str:
        """Write the model file and return its version: a hash of the training data and the model."""
        header = {"estimator": self.chosen_estimator_, "target": self.target_}
        self.version_ = save_model(self, path, MODEL_MAGIC, header, training_fingerprint)
        return self.version_

    @staticmethod
    def load(path: str | Path) -> PotentialModel:
        """Read a model file written by `save`. Pickle runs code: load only files you trained."""
        model, version = load_model(path, MODEL_MAGIC, PotentialModel, TRAIN_COMMAND)
        model.version_ = version
        return model


def rows_where(frame: pl.DataFrame, only: str | None, file: str | None = None) -> npt.NDArray[np.int64]:
    """Indexes of the rows kept by `COLUMN=VALUE` (text compared after trimming), or of all rows."""
    if only is None:
        return np.arange(frame.height, dtype=np.int64)
    column, equals, value = only.partition("=")
    column, value = column.strip(), value.strip()
    if not equals or not column:
        raise BadInput.at(f"--only must be COLUMN=VALUE, e.g. deal_stage=Won; got {only!r}", file)
    if column not in frame.columns:
        raise BadInput.at(f"--only names a column that is not in the history: '{column}'", file)
    kept = frame.get_column(column).cast(pl.String).str.strip_chars() == value
    rows = kept.fill_null(False).arg_true().to_numpy().astype(np.int64)
    if rows.size == 0:
        raise BadInput.at(f"no history rows have {column} = {value!r}", file, subject=column)
    return rows


def train_potential(
    history_path: str | Path,
    target: str,
    exclude: Sequence[str],
    out_path: str | Path,
    estimator: PotentialEstimator = "auto",
    only: str | None = None,
    random_state: int = 0,
) -> PotentialReport:
    """Train on a history file (optionally only the rows where COLUMN=VALUE), save the versioned model,
    and return the cross-validated figures."""
    table = read_table(history_path)
    rows = rows_where(table.frame, only, table.file)
    frame = table.frame[rows]
    y = _targets(frame, target, _Located(table, rows))  # a bad cell is reported by its line in the file
    try:
        model = PotentialModel(estimator=estimator, random_state=random_state).fit(frame, target, exclude)
    except BadInput as err:
        raise err.in_file(table.file) from None
    params = {**model.get_params(), "only": only}
    version = model.save(out_path, fingerprint(frame, target, exclude, params))
    prediction = model.cv_prediction_
    has_cv = prediction is not None
    return PotentialReport(
        estimator=model.chosen_estimator_,
        version=version,
        rows=frame.height,
        target=target,
        target_mean=float(y.mean()),
        r2=float(r2_score(y, prediction)) if has_cv else math.nan,
        mae=float(mean_absolute_error(y, prediction)) if has_cv else math.nan,
        candidate_r2=dict(model.cv_r2_),
        features=[f.name for f in model.features_],
        excluded=list(exclude),
        dropped=sorted(model.dropped_columns_),
    )


class _Located:
    """A table's file and line numbers for the subset of its rows that `--only` kept."""

    def __init__(self, table: RawTable, rows: npt.NDArray[np.int64]) -> None:
        self.file = table.file
        self._table = table
        self._rows = rows

    def line_of(self, row: int) -> int:
        return self._table.line_of(int(self._rows[row]))
