"""Which opportunities are closed, won or lost, in one place for the pipeline and the KPIs."""

from __future__ import annotations

import polars as pl

# The fields these read, typed: what a service asks the store for.
STATE_TYPES: dict[str, pl.DataType] = {
    "closed": pl.Date(),
    "won": pl.Boolean(),
    "is_closed": pl.Boolean(),
}


def is_closed() -> pl.Expr:
    """The CRM's is_closed when it gave one; else a deal is closed once it has a close day or a
    won/lost verdict (files without is_closed leave both empty while a deal is open)."""
    inferred = pl.col("closed").is_not_null() | pl.col("won").is_not_null()
    return pl.coalesce(pl.col("is_closed"), inferred)


def is_won() -> pl.Expr:
    return is_closed() & pl.col("won").fill_null(False)


def is_lost() -> pl.Expr:
    return is_closed() & ~pl.col("won").fill_null(False)
