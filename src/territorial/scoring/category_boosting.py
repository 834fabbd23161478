"""CatBoost on the fit model's encoded rows: boosted symmetric trees over ordered target statistics of
categories and of their combinations, which the histogram boosted trees and the forest do not learn.

It is its own part of the fit blend because it errs differently from them. On the X Education leads
(5-fold CV, fold seeds 1 to 3, never the benchmark's seed 0) it scores as the blend of the other two
alone, and an even mix of both gains +0.0004 ROC AUC, more than any scikit-learn model tried."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Self

import numpy as np
import numpy.typing as npt
from sklearn.base import BaseEstimator, ClassifierMixin

from territorial.scoring.features import Matrix

# Settings chosen with the same fold seeds: 1,000 symmetric trees of depth 6 at rate 0.05.
SETTINGS: dict[str, Any] = {"iterations": 1000, "learning_rate": 0.05, "depth": 6}
# A category's code for a missing value: CatBoost reads categories as whole numbers, never NaN.
MISSING_CODE = -1
# Metadata CatBoost stamps on every fit (a clock time and a random id): dropped so that the same
# history and seed save the same bytes.
UNSTABLE_METADATA = ("train_finish_time", "model_guid")


class CategoryBoosting(ClassifierMixin, BaseEstimator):  # type: ignore[misc]
    """A binary CatBoostClassifier over a float matrix whose `categorical` columns hold level codes."""

    def __init__(self, categorical: Sequence[bool] = (), random_state: int = 0) -> None:
        self.categorical = categorical
        self.random_state = random_state

    def fit(self, x: Matrix, y: npt.NDArray[np.int64]) -> Self:
        # Imported here: it takes about 0.9 s, which only training pays (a loaded model's pickle
        # imports it itself).
        from catboost import CatBoostClassifier

        self.categories_ = np.flatnonzero(np.asarray(self.categorical, dtype=bool))
        self.classes_ = np.array([0, 1])
        if not _varies(x):
            # CatBoost refuses a history whose every column holds one value ("All features are either
            # constant or ignored"), as a training fold of a small history can: nothing separates
            # the rows, so every row gets the training rate, as the other parts would give.
            self.model_ = None
            self.rate_ = float(np.mean(y))
            return self
        model = CatBoostClassifier(
            **SETTINGS,
            random_seed=self.random_state,
            # Trains on one thread, as every part of the fit model (features.single_threaded); only its
            # feature importances, computed once after training, take every core.
            thread_count=1,
            verbose=0,
            allow_writing_files=False,  # no catboost_info folder in the working directory
        )
        model.fit(self._rows(x), y, cat_features=self.categories_.tolist())
        metadata = model.get_metadata()
        for key in UNSTABLE_METADATA:
            if key in metadata:
                del metadata[key]
        self.model_ = model
        return self

    def predict_proba(self, x: Matrix) -> Matrix:
        if self.model_ is None:
            return np.tile([1.0 - self.rate_, self.rate_], (x.shape[0], 1))
        converting = self.model_.predict(self._rows(x), prediction_type="Probability", thread_count=1)
        return np.asarray(converting, dtype=np.float64)

    def _rows(self, x: Matrix) -> npt.NDArray[np.object_]:
        """The rows as CatBoost reads them: category codes as whole numbers, the rest as floats."""
        rows = x.astype(object)
        for column in self.categories_:
            codes = x[:, column]
            rows[:, column] = np.where(np.isnan(codes), MISSING_CODE, codes).astype(np.int64)
        return rows


def _varies(x: Matrix) -> bool:
    """Some column holds two values, a missing value counting as one."""
    for column in x.T:
        present = column[~np.isnan(column)]
        if present.size < column.size and present.size > 0:
            return True
        if present.size > 1 and np.any(present != present[0]):
            return True
    return False
