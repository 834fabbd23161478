"""Each rep's book after an assignment: accounts, workload, potential and open pipeline per layer,
with every rep the plan names, so a rep left with nothing shows as 0 rather than not at all."""

from __future__ import annotations

import polars as pl

from territorial.domain.plan import Plan


def rep_books(
    plan: Plan, rows: pl.DataFrame, potential: pl.DataFrame | None, pipeline: pl.DataFrame | None
) -> pl.DataFrame:
    """layer, rep_id, territories, accounts, workload (then potential and pipeline when given: frames
    of account_id and value), one row per rep and layer, in layer then rep_id order.

    `rows` are the assignment's result rows; `plan` is the plan as applied (inactive reps taken out)."""
    named = pl.DataFrame(
        [(t.layer, rep, t.id) for t in plan.territories for rep in t.reps],
        schema={"layer": pl.String, "rep_id": pl.String, "territory_id": pl.String},
        orient="row",
    )
    owned = rows.filter(pl.col("rep_id").is_not_null()).select("account_id", "layer", "rep_id", "workload")
    values = [("potential", potential), ("pipeline", pipeline)]
    for name, frame in values:
        if frame is not None:
            owned = owned.join(frame.rename({"value": name}), on="account_id", how="left")
    extra = [name for name, frame in values if frame is not None]
    books = owned.group_by("layer", "rep_id").agg(
        pl.len().alias("accounts"), pl.col("workload").sum(), *(pl.col(name).sum() for name in extra)
    )
    territories = (
        pl.concat([named, rows.filter(pl.col("rep_id").is_not_null()).select(named.columns)])
        .unique()
        .sort("territory_id")
        .group_by("layer", "rep_id")
        .agg(pl.col("territory_id").str.join(";").alias("territories"))
    )
    return (
        territories.join(books, on=["layer", "rep_id"], how="left")
        .with_columns(
            pl.col("accounts").fill_null(0).cast(pl.Int64),
            *(pl.col(name).fill_null(0.0).cast(pl.Float64) for name in ["workload", *extra]),
        )
        .with_columns(pl.col("layer").replace_strict(_rank(plan), default=len(plan.layers)).alias("_rank"))
        .sort("_rank", "rep_id")
        .drop("_rank")
    )


def _rank(plan: Plan) -> dict[str, int]:
    return {layer: i for i, layer in enumerate(plan.layers)}
