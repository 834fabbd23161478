"""Performance against potential: each territory's share of bookings ÷ its share of potential, and
the accounts holding the most untapped potential in the territories below their share."""

from __future__ import annotations

import polars as pl

from territorial.domain.plan import PRIMARY

INDEX_COLUMNS = [
    "territory_id",
    "bookings",
    "bookings_share",
    "potential",
    "potential_share",
    "index",
    "under_penetrated",
]
UNTAPPED_COLUMNS = ["territory_id", "rank", "account_id", "potential", "fit", "untapped"]


def penetration_index(figures: pl.DataFrame, below: float) -> pl.DataFrame:
    """INDEX_COLUMNS from territory_id, bookings, potential: `index` is the share of bookings ÷ the
    share of potential (None for a territory with no potential, or when nothing was booked anywhere);
    a territory is under-penetrated when its index is below `below`. Sorted by index, lowest first,
    then territory."""
    bookings = pl.col("bookings").cast(pl.Float64).fill_null(0.0)
    potential = pl.col("potential").cast(pl.Float64).fill_null(0.0)
    table = figures.select("territory_id", bookings.alias("bookings"), potential.alias("potential"))
    total_bookings = float(table.get_column("bookings").sum())
    total_potential = float(table.get_column("potential").sum())
    table = table.with_columns(
        (pl.col("bookings") / total_bookings if total_bookings else pl.lit(None, pl.Float64)).alias(
            "bookings_share"
        ),
        (pl.col("potential") / total_potential if total_potential else pl.lit(None, pl.Float64)).alias(
            "potential_share"
        ),
    )
    index = pl.when(pl.col("potential_share") > 0).then(pl.col("bookings_share") / pl.col("potential_share"))
    table = table.with_columns(index.alias("index"))
    return (
        table.with_columns((pl.col("index") < below).fill_null(False).alias("under_penetrated"))
        .select(INDEX_COLUMNS)
        .sort([pl.col("index").is_null(), "index", "territory_id"])
    )


def untapped_accounts(
    placement: pl.DataFrame,
    accounts: pl.DataFrame,
    open_accounts: pl.Series,
    territories: list[str],
    top: int,
    fit: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """UNTAPPED_COLUMNS: in each of `territories`, the `top` accounts with potential and no open deal,
    by untapped potential (potential, times the fit score in 0..1 when `fit` gives account_id, fit),
    ties by account_id. placement: account_id, layer, territory_id; accounts: account_id, potential."""
    placed = placement.filter((pl.col("layer") == PRIMARY) & pl.col("territory_id").is_in(territories))
    candidates = (
        placed.select("account_id", "territory_id")
        .join(accounts.select("account_id", pl.col("potential").cast(pl.Float64)), on="account_id")
        .filter((pl.col("potential") > 0) & ~pl.col("account_id").is_in(open_accounts.implode()))
    )
    if fit is None:
        candidates = candidates.with_columns(pl.lit(None, pl.Float64).alias("fit"))
        untapped = pl.col("potential")
    else:
        candidates = candidates.join(
            fit.select("account_id", pl.col("fit").cast(pl.Float64)), on="account_id", how="left"
        )
        untapped = pl.col("potential") * pl.col("fit").fill_null(0.0)
    ranked = candidates.with_columns(untapped.alias("untapped")).sort(
        ["territory_id", "untapped", "account_id"], descending=[False, True, False]
    )
    ranked = ranked.with_columns(pl.int_range(1, pl.len() + 1).over("territory_id").alias("rank"))
    return (
        ranked.filter(pl.col("rank") <= top)
        .with_columns(pl.col("rank").cast(pl.Int64))
        .select(UNTAPPED_COLUMNS)
    )
