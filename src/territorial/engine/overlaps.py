"""Pairs of candidate territories that both match some account, within one layer."""

from __future__ import annotations

import numpy as np
import polars as pl

from territorial.engine.compiled import CompiledPlan
from territorial.engine.membership import Membership


def overlap_pairs(compiled: CompiledPlan, membership: Membership) -> pl.DataFrame:
    """Counts per pair. Candidates are deepest memberships, so a parent and its child never pair."""
    rows, terr = membership.pairs()
    plan = compiled.plan
    layer_of = np.array([plan.layers.index(t.layer) for t in plan.territories], np.int64)
    cands = pl.DataFrame({"row": rows, "t": terr, "layer": layer_of[terr] if terr.size else terr})
    multi = cands.filter(pl.len().over(["row", "layer"]) > 1)
    pairs = (
        multi.join(multi, on=["row", "layer"], suffix="_b")
        .filter(pl.col("t") < pl.col("t_b"))
        .group_by(["layer", "t", "t_b"])
        .agg(pl.len().alias("accounts"))
        .sort(["layer", "accounts", "t", "t_b"], descending=[False, True, False, False])
    )
    ids = [t.id for t in plan.territories]
    return pairs.select(
        pl.col("layer").map_elements(lambda i: plan.layers[i], return_dtype=pl.String).alias("layer"),
        pl.col("t").map_elements(lambda i: ids[i], return_dtype=pl.String).alias("territory_a"),
        pl.col("t_b").map_elements(lambda i: ids[i], return_dtype=pl.String).alias("territory_b"),
        pl.col("accounts"),
    )
