"""Distinct integer keys, fast.

The balancing search builds (unit, territory) pair keys `unit * k + territory` by the hundred
thousand, many times a run. numpy 2.4's np.unique hashes plain integer arrays, and on these keys
that is 10-200× slower than sorting (1.5 s against 0.1 s for 900,000 keys), so the search uses
this instead. The result is np.unique's: the distinct values in ascending order."""

from __future__ import annotations

import numpy as np

# A key range up to this many times the number of keys is marked in a boolean table, which
# is faster still than sorting; wider ranges are sorted.
_DENSE = 8


def distinct(keys: np.ndarray) -> np.ndarray:
    """The distinct values of an integer array, ascending (what np.unique returns)."""
    keys = np.asarray(keys)
    if keys.size == 0 or keys.dtype.kind not in "iu":
        return np.unique(keys)
    low, high = int(keys.min()), int(keys.max())
    if high - low < _DENSE * keys.size + 1024:
        seen = np.zeros(high - low + 1, dtype=bool)
        seen[keys - low] = True
        return (np.flatnonzero(seen) + low).astype(keys.dtype, copy=False)
    ordered = np.sort(keys)
    first = np.empty(ordered.size, dtype=bool)
    first[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=first[1:])
    return ordered[first]
