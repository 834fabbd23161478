"""What a hold or an override puts in place of the rules' choice for one account and layer, laid
onto the rules' winners before the pools share out the rest (engine.live)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from territorial.domain.plan import Plan


@dataclass(frozen=True)
class Pin:
    account_id: str
    layer: str
    territory_id: str | None  # None: the rules' territory stays (an override to a rep only)
    rep_id: str | None  # None: the territory's pool picks the rep
    reason: str  # the row's reason, in plain words; a pool's pick is said after it


def pin_winners(table: pl.DataFrame, pins: Sequence[Pin], ids: pl.Series, plan: Plan) -> pl.DataFrame:
    """The winners `table` (_row, _t, tie, _others, _layer) with each pin laid on its account and
    layer: its territory in place of the winner (adding the row when the rules gave the account none
    in that layer), and two more columns: `_pin` (the pin's index, else null) and `_pin_rep`. A pin
    on an account the book lacks (inactive) has no effect."""
    row_of = {account_id: row for row, account_id in enumerate(ids.cast(pl.String).to_list())}
    index_of = {(t.layer, t.id): i for i, t in enumerate(plan.territories)}
    entries = []
    for number, pin in enumerate(pins):
        if pin.account_id not in row_of:
            continue
        territory = None
        if pin.territory_id is not None:
            territory = index_of.get((pin.layer, pin.territory_id))
            if territory is None:
                raise ValueError(f"{pin.territory_id} is no {pin.layer} territory of plan {plan.name}")
        entries.append((row_of[pin.account_id], plan.layers.index(pin.layer), territory, number, pin.rep_id))
    schema: dict[str, pl.DataType] = dict.fromkeys(["_row", "_layer", "_pin_t", "_pin"], pl.Int64())
    schema["_pin_rep"] = pl.String()
    pinned = pl.DataFrame(entries, schema=schema, orient="row")
    table = table.with_columns(pl.col("_row").cast(pl.Int64), pl.col("_layer").cast(pl.Int64))
    missing = pinned.join(table, on=["_row", "_layer"], how="anti").select(
        "_row",
        pl.lit(-1, pl.Int64).alias("_t"),
        pl.lit(False).alias("tie"),
        pl.lit(None, pl.String).alias("_others"),
        "_layer",
    )
    table = pl.concat([table, missing.cast(table.schema)], how="vertical")
    joined = table.join(pinned, on=["_row", "_layer"], how="left", maintain_order="left")
    moved = pl.col("_pin_t").is_not_null()  # the rules' territory, tie and overlaps no longer apply
    return joined.with_columns(
        pl.when(moved).then(pl.col("_pin_t")).otherwise(pl.col("_t")).alias("_t"),
        pl.when(moved).then(False).otherwise(pl.col("tie")).alias("tie"),
        pl.when(moved).then(None).otherwise(pl.col("_others")).alias("_others"),
    ).drop("_pin_t")
