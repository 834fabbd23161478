"""Reading cells as model inputs: numbers no one meant are missing, the same in both paths."""

from __future__ import annotations

import math

import numpy as np
import polars as pl

from territorial.scoring.features import Feature, encode, encode_record, learn_feature, number_of


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


def test_a_postal_code_column_is_a_category_never_a_number() -> None:
    # 02134 read as the number 2,134 gave reasons such as "postal_code is low (2,134)".
    codes = ["02134", "10001", "60601", "02134", "10001", "60601"]
    frame = pl.DataFrame({"lead_id": [f"L{i}" for i in range(6)], "postal_code": codes, "Billing Zip": codes})
    for column in ("postal_code", "Billing Zip"):
        feature = learn_feature(frame, column)
        assert isinstance(feature, Feature) and feature.kind == "category", column
    assert learn_feature(frame.with_columns(pl.col("postal_code").alias("employees")), "employees").kind == (  # type: ignore[union-attr]
        "numeric"
    )
