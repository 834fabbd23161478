"""The CatBoost part of the fit blend: what it learns from category codes, and that a fit is
repeatable to the byte and leaves nothing behind."""

from __future__ import annotations

import math
import pickle
from pathlib import Path

import numpy as np
import pytest

from territorial.scoring.category_boosting import CategoryBoosting


def coded_history(rows: int = 1_200, seed: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """Column 0 is a category code (missing in a sixth of the rows), column 1 a number (missing in a
    tenth). Missing category converts, code 2 converts when the number is high, and nothing else does."""
    rng = np.random.default_rng(seed)
    code = rng.integers(0, 4, rows).astype(np.float64)
    code[rng.random(rows) < 1 / 6] = math.nan
    number = rng.normal(size=rows)
    number[rng.random(rows) < 0.1] = math.nan
    converts = np.isnan(code) | ((code == 2) & (np.nan_to_num(number) > 0))
    return np.column_stack([code, number]), converts.astype(np.int64)


@pytest.fixture(scope="module")
def fitted() -> CategoryBoosting:
    x, y = coded_history()
    return CategoryBoosting([True, False], random_state=3).fit(x, y)


def test_missing_category_is_its_own_level(fitted: CategoryBoosting) -> None:
    chances = fitted.predict_proba(np.array([[math.nan, 0.0], [0.0, 0.0], [1.0, 0.0], [3.0, 0.0]]))[:, 1]
    assert chances[0] > 0.9 and chances[1:].max() < 0.1


def test_category_interacts_with_a_number(fitted: CategoryBoosting) -> None:
    high, low, missing = fitted.predict_proba(np.array([[2.0, 1.5], [2.0, -1.5], [2.0, math.nan]]))[:, 1]
    assert high > 0.9 and low < 0.1 and 0.0 <= missing <= 1.0


def test_unknown_code_is_scored_not_refused(fitted: CategoryBoosting) -> None:
    chance = fitted.predict_proba(np.array([[57.0, 0.3]]))[0]
    assert chance.sum() == pytest.approx(1.0) and np.all((chance >= 0) & (chance <= 1))


def test_same_history_and_seed_pickle_to_the_same_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fitted: CategoryBoosting
) -> None:
    monkeypatch.chdir(tmp_path)  # CatBoost writes a catboost_info folder here unless told not to
    x, y = coded_history()
    again = CategoryBoosting([True, False], random_state=3).fit(x, y)
    assert pickle.dumps(again) == pickle.dumps(fitted)
    assert list(tmp_path.iterdir()) == []
    other_seed = CategoryBoosting([True, False], random_state=4).fit(x, y)
    assert pickle.dumps(other_seed) != pickle.dumps(fitted)


def test_loaded_copy_predicts_the_same(fitted: CategoryBoosting) -> None:
    x, _ = coded_history(rows=50, seed=9)
    copy = pickle.loads(pickle.dumps(fitted))
    assert np.array_equal(copy.predict_proba(x), fitted.predict_proba(x))


def test_a_history_with_nothing_that_varies_gets_the_training_rate() -> None:
    # CatBoost itself refuses it ("All features are either constant or ignored").
    x = np.column_stack([np.zeros(30), np.full(30, 5.0)])
    y = np.array([1, 0, 0] * 10)
    chances = CategoryBoosting([True, False]).fit(x, y).predict_proba(np.array([[0.0, 5.0], [3.0, 1.0]]))
    assert np.allclose(chances, [[2 / 3, 1 / 3], [2 / 3, 1 / 3]])


def test_a_value_beside_missing_ones_is_enough_to_learn_from() -> None:
    x = np.full((40, 1), 5.0)
    x[::2, 0] = math.nan
    y = (np.arange(40) % 2 == 0).astype(np.int64)
    model = CategoryBoosting([False]).fit(x, y)
    assert model.model_ is not None
    missing, present = model.predict_proba(np.array([[math.nan], [5.0]]))[:, 1]
    assert missing > 0.5 > present
