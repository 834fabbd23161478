"""Each account's workload, as pools share accounts by it."""

from __future__ import annotations

import numpy as np
import polars as pl

from territorial.domain.book import AccountBook
from territorial.domain.plan import Plan
from territorial.errors import BadInput


def account_workload(plan: Plan, book: AccountBook) -> tuple[np.ndarray, int]:
    """Each account's workload (1 when the plan names no workload field) and how many were NULL."""
    if plan.workload is None:
        return np.ones(len(book), np.float64), 0
    values = book.frame.get_column(book.columns[plan.workload]).cast(pl.Float64)
    negative = (values < 0).fill_null(False).arg_true()
    if negative.len():
        row = int(negative[0])
        raise BadInput.at(
            f"workload must not be negative, got {values[row]:g} ({negative.len()} negative values in all)",
            book.file,
            book.line_of(row),
            None,
            book.columns[plan.workload],
        )
    return values.fill_null(0.0).to_numpy().astype(np.float64), int(values.null_count())
