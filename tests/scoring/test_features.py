"""Reading cells as model inputs: numbers no one meant are missing, the same in both paths."""

from __future__ import annotations

import math

import numpy as np
import polars as pl

from territorial.scoring.features import (
    Feature,
    date_features,
    date_part,
    date_part_series,
    encode,
    encode_record,
    learn_feature,
    learn_features,
    number_of,
)


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


def test_a_date_column_becomes_day_of_week_and_hour_in_both_paths() -> None:
    frame = pl.DataFrame(
        {
            "id": [f"L{i}" for i in range(6)],
            "Create Date": [
                "2018-05-01 10:02",
                "05/02/2018 3:15 PM",
                "2018-05-03T23:59:00.000Z",
                "2018-05-04",
                None,
                "2018-02-30 10:00",  # no such day: missing
            ],
        }
    )
    features, dropped = learn_features(frame, "label", [])
    assert [f.name for f in features] == ["Create Date (day of week)", "Create Date (hour)"]
    assert all(f.kind != "category" or f.levels == () or "2018" not in f.levels[0] for f in features)
    assert dropped == {"id": "an identifier (unique in every row)"}
    assert date_part_series(frame.get_column("Create Date"), "hour").to_list() == [
        "10", "15", "23", None, None, None
    ]  # fmt: skip
    assert date_part("2018-05-01 10:02", "day of week") == "Tuesday"
    matrix = encode(frame, features)
    for row, record in enumerate(frame.iter_rows(named=True)):
        np.testing.assert_array_equal(encode_record(record, features), matrix[row])


def test_a_date_column_that_says_nothing_is_left_out_with_why() -> None:
    frame = pl.DataFrame(
        {"id": ["a", "b", "c"], "Closed": ["2018-05-01", "2018-05-08", "2018-05-15"], "n": [1, 2, 3]}
    )
    assert date_features(frame, "Closed") == "a date on the same day of the week in every row, without times"
    assert date_features(frame, "n") is None and date_features(frame, "id") is None
