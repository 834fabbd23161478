"""Account data as the rule compilers expect it: canonical names, strings lower-cased once."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import polars as pl

from territorial.domain.fields import FieldType, canonical
from territorial.rules.ast import Scalar

ROW = "__row"


def evaluation_frame(
    frame: pl.DataFrame, columns: Mapping[str, str], schema: Mapping[str, FieldType], fields: Iterable[str]
) -> pl.DataFrame:
    """The columns rules read, renamed to canonical names, with strings lower-cased, plus each
    account's row number in `ROW` so that filtered subsets still know which account a row is."""
    exprs = [pl.int_range(pl.len(), dtype=pl.Int64).alias(ROW)]
    for key in sorted(set(fields)):
        col = pl.col(columns[key])
        if schema[key] is FieldType.STRING:
            col = col.str.to_lowercase()
        exprs.append(col.alias(key))
    return frame.select(exprs)


def prepare_record(account: Mapping[str, Any]) -> dict[str, Scalar]:
    """One account for the Python compiler: canonical keys, lower-cased strings, blanks as NULL."""
    out: dict[str, Scalar] = {}
    for key, value in account.items():
        if isinstance(value, str):
            value = value.strip().lower() or None
        elif isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        elif isinstance(value, float) and value != value:  # NaN is NULL
            value = None
        out[canonical(key)] = value
    return out
