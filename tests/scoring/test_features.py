"""Reading cells as model inputs: numbers no one meant are missing, the same in both paths."""

from __future__ import annotations

import math

import numpy as np
import polars as pl

from territorial.scoring.features import Feature, encode, encode_record, number_of


def test_numbers_beyond_float32_are_missing_in_both_paths() -> None:
    # The forest reads float32: 1e300 used to stop scoring with "value too large for dtype float32".
    cells = ["3e38", "-3e38", "1e300", "-1e39", "inf", "12.5"]
    expected = [3e38, -3e38, math.nan, math.nan, math.nan, 12.5]
    feature = Feature("Amount", "numeric")
    columnar = encode(pl.DataFrame({"Amount": cells}), [feature])[:, 0]
    one_by_one = [encode_record({"Amount": cell}, [feature])[0] for cell in cells]
    assert np.array_equal(columnar, np.array(expected), equal_nan=True)
    assert np.array_equal(np.array(one_by_one), np.array(expected), equal_nan=True)
    assert [number_of(c) for c in cells[:2]] == [3e38, -3e38]
