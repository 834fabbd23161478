"""Validation over time: train on the older rows of a history and test on the newer ones, as a model
is used (trained on the past, scoring what comes next). Random folds let a model interpolate
between rows of the same weeks, which flatters it when the world drifts."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt

# The newest fifth of the rows is held out: enough to measure on, while training keeps most rows.
HOLDOUT_SHARE = 0.2


@dataclass(frozen=True)
class TimeSplit:
    train: npt.NDArray[np.int64]  # row indexes dated up to `last_trained`
    test: npt.NDArray[np.int64]  # row indexes dated after it
    last_trained: date


def time_split(days: list[date]) -> TimeSplit | None:
    """The rows up to the day that leaves about HOLDOUT_SHARE of them newer, and those newer ones.
    Rows of one day stay together; None when no day has rows after it (every row on one day)."""
    order = sorted(range(len(days)), key=lambda row: (days[row], row))
    keep = max(1, math.ceil(len(days) * (1 - HOLDOUT_SHARE)))
    cut = days[order[keep - 1]]
    train = np.array([row for row in order if days[row] <= cut], dtype=np.int64)
    test = np.array([row for row in order if days[row] > cut], dtype=np.int64)
    if test.size == 0:
        # The newest day holds more than the holdout: cut before it instead.
        earlier = [days[row] for row in order if days[row] < cut]
        if not earlier:
            return None
        cut = earlier[-1]
        train = np.array([row for row in order if days[row] <= cut], dtype=np.int64)
        test = np.array([row for row in order if days[row] > cut], dtype=np.int64)
    return TimeSplit(train, test, cut)
