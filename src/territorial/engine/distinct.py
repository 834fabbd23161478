"""Grouping rows by distinct values, so per-value work is done once per value, not once per row."""

from __future__ import annotations

import numpy as np
import polars as pl


def distinct_rows(frame: pl.DataFrame, columns: list[str]) -> tuple[pl.DataFrame, np.ndarray]:
    """The distinct combinations of `columns` (in first-seen order) and each row's combination index."""
    grouped = (
        frame.select(columns)
        .with_row_index("_rows")
        .group_by(columns, maintain_order=True)
        .agg(pl.col("_rows"))
    )
    lengths = grouped.get_column("_rows").list.len().to_numpy()
    positions = grouped.get_column("_rows").explode().to_numpy()
    row_key = np.empty(frame.height, np.int64)
    row_key[positions] = np.repeat(np.arange(grouped.height), lengths)
    return grouped.drop("_rows"), row_key
