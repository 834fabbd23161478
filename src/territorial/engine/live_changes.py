"""What a change of the live assignment changed: the (account, layer) rows whose territory or rep
differ between two versions of the live rows. Overlaps, ties and reasons alone are no change."""

from __future__ import annotations

import polars as pl

# One changed row, as the change log keeps it.
CHANGE_COLUMNS = [
    "account_id",
    "layer",
    "from_territory_id",
    "from_rep_id",
    "to_territory_id",
    "to_rep_id",
    "cause",
]
# What a change is read from: a live row's place.
KEY_COLUMNS = ["account_id", "layer", "territory_id", "rep_id"]
# The cause of a row that a change took away: its account is no longer active.
GONE = "account deactivated"


def changes_between(before: pl.DataFrame, after: pl.DataFrame) -> pl.DataFrame:
    """The rows of `after` (account_id, layer, territory_id, rep_id, cause) whose territory or rep is
    not what `before` (the same, cause aside) had, new rows included, and the rows `before` had that
    `after` lacks, with the cause GONE; in binary (account_id, layer) order (CHANGE_COLUMNS)."""
    keys = ["account_id", "layer"]
    old = before.select(
        *keys, pl.col("territory_id").alias("from_territory_id"), pl.col("rep_id").alias("from_rep_id")
    ).with_columns(pl.lit(True).alias("_before"))
    new = after.select(
        *keys,
        pl.col("territory_id").alias("to_territory_id"),
        pl.col("rep_id").alias("to_rep_id"),
        "cause",
        pl.lit(True).alias("_after"),
    )
    joined = old.join(new, on=keys, how="full", coalesce=True)
    moved = (
        pl.col("_before").is_null()
        | pl.col("_after").is_null()
        | pl.col("from_territory_id").ne_missing(pl.col("to_territory_id"))
        | pl.col("from_rep_id").ne_missing(pl.col("to_rep_id"))
    )
    return (
        joined.filter(moved)
        .with_columns(pl.col("cause").fill_null(GONE))
        .select(
            pl.col(CHANGE_COLUMNS[:6]).cast(pl.String),
            pl.col("cause").cast(pl.String),
        )
        .sort(keys)
    )
