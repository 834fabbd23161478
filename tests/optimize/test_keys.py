import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from territorial.optimize.keys import distinct


@given(
    hnp.arrays(
        dtype=st.sampled_from([np.int64, np.int32, np.uint32]),
        shape=st.integers(0, 300),
        elements=st.integers(0, 2**31 - 1) | st.integers(0, 500),
    )
)
def test_distinct_is_what_np_unique_returns(keys: np.ndarray) -> None:
    got = distinct(keys)
    want = np.unique(keys)
    assert got.dtype == want.dtype
    assert np.array_equal(got, want)


def test_negative_keys_and_wide_ranges() -> None:
    keys = np.array([5, -3, 10**12, -3, 5, 7], dtype=np.int64)
    assert distinct(keys).tolist() == [-3, 5, 7, 10**12]


def test_floats_fall_back_to_np_unique() -> None:
    assert distinct(np.array([2.5, 1.0, 2.5])).tolist() == [1.0, 2.5]
