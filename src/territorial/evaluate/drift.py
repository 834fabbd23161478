"""Drift: how far each territory's workload, potential and segment counts have moved since the
assignment was made (an activation, or a run), against a threshold."""

from __future__ import annotations

import polars as pl

from territorial.domain.plan import PRIMARY

# Each territory's figures as a long table, so any segment value is one more row, not a column.
FIGURE_COLUMNS = {"territory_id": pl.String, "measure": pl.String, "value": pl.Float64}
DRIFT_COLUMNS = ["territory_id", "measure", "then", "now", "change", "past_threshold"]
# Measures a rebalance answers; segment counts are reported but a segment moving is not a workload
# problem on its own.
BALANCED = ("workload", "potential")
SEGMENT = "segment"
NO_TERRITORY = "(no territory)"


def territory_figures(placement: pl.DataFrame, accounts: pl.DataFrame) -> pl.DataFrame:
    """FIGURE_COLUMNS for each primary territory: accounts, workload, potential and, when accounts
    carry a `segment`, `segment:<value>` counts. Sorted by territory and measure.

    placement: account_id, layer, territory_id; accounts: account_id, workload, potential[, segment].
    """
    placed = (
        placement.filter(pl.col("layer") == PRIMARY)
        .select("account_id", pl.col("territory_id").fill_null(NO_TERRITORY))
        .join(accounts, on="account_id", how="inner")
    )
    figures = placed.group_by("territory_id").agg(
        pl.len().cast(pl.Float64).alias("accounts"),
        pl.col("workload").cast(pl.Float64).fill_null(0.0).sum(),
        pl.col("potential").cast(pl.Float64).fill_null(0.0).sum(),
    )
    parts = [figures.unpivot(index="territory_id", variable_name="measure", value_name="value")]
    if SEGMENT in placed.columns:
        segments = placed.group_by(
            "territory_id", (pl.lit(f"{SEGMENT}:") + pl.col(SEGMENT).cast(pl.String).fill_null("(none)"))
        ).agg(pl.len().cast(pl.Float64).alias("value"))
        parts.append(segments.rename({"literal": "measure"}))
    columns = [pl.col(name).cast(dtype) for name, dtype in FIGURE_COLUMNS.items()]
    return pl.concat([p.select(columns) for p in parts]).sort("territory_id", "measure")


def figure_rows(placement: pl.DataFrame, accounts: pl.DataFrame) -> list[tuple[str, str, float]]:
    """territory_figures as (territory_id, measure, value) rows: what an activation or a run keeps."""
    return [(t, m, float(v)) for t, m, v in territory_figures(placement, accounts).iter_rows()]


def drift_table(then: pl.DataFrame, now: pl.DataFrame, threshold: float) -> pl.DataFrame:
    """DRIFT_COLUMNS for every (territory, measure) in either: `change` is now ÷ then − 1 (None when
    `then` is 0), and `past_threshold` marks a territory's balanced measure that moved more than
    ±threshold (one that grew from nothing is past it too); accounts in no territory are reported but
    never past it, since no rebalance places them. Sorted by territory and measure."""
    joined = then.rename({"value": "then"}).join(
        now.rename({"value": "now"}), on=["territory_id", "measure"], how="full", coalesce=True
    )
    joined = joined.with_columns(pl.col("then").fill_null(0.0), pl.col("now").fill_null(0.0))
    change = pl.when(pl.col("then") != 0).then(pl.col("now") / pl.col("then") - 1.0)
    balanced = pl.col("measure").is_in(BALANCED) & (pl.col("territory_id") != NO_TERRITORY)
    past = balanced & pl.when(pl.col("then") != 0).then(
        (pl.col("now") / pl.col("then") - 1.0).abs() > threshold + 1e-12
    ).otherwise(pl.col("now") != 0)
    return (
        joined.with_columns(change.alias("change"), past.alias("past_threshold"))
        .select(DRIFT_COLUMNS)
        .sort("territory_id", "measure")
    )
