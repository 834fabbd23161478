"""The net change of the live assignment over a run of change sets: where each (account, layer)
was before the first and is after the last, so a move there and back again is no change."""

from __future__ import annotations

import polars as pl

from territorial.engine.live_changes import CHANGE_COLUMNS


def net_changes(rows: pl.DataFrame) -> pl.DataFrame:
    """The net of changed rows (change_set_id and CHANGE_COLUMNS, in change set order): per (account,
    layer), the first row's from and the last row's to and cause, kept only when the territory or
    the rep differs; in binary (account_id, layer) order (CHANGE_COLUMNS)."""
    keys = ["account_id", "layer"]
    ordered = rows.sort("change_set_id", *keys, maintain_order=True)
    net = ordered.group_by(keys, maintain_order=True).agg(
        pl.col("from_territory_id").first(),
        pl.col("from_rep_id").first(),
        pl.col("to_territory_id").last(),
        pl.col("to_rep_id").last(),
        pl.col("cause").last(),
    )
    moved = pl.col("from_territory_id").ne_missing(pl.col("to_territory_id")) | pl.col(
        "from_rep_id"
    ).ne_missing(pl.col("to_rep_id"))
    return net.filter(moved).select(CHANGE_COLUMNS).sort(keys)
