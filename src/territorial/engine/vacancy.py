"""Vacant territories: a territory whose pool is empty gives its accounts to its manager, else to the
workspace's vacant owner, else they wait with no rep."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

import polars as pl

from territorial.domain.plan import Plan


@dataclass(frozen=True)
class Cover:
    """Who takes a vacant territory's accounts, and as what: `its manager` or `the vacant owner`."""

    rep_id: str
    role: str

    def __str__(self) -> str:
        return f"{self.role} {self.rep_id}"


def vacancy_covers(
    plan: Plan, pools: Mapping[str, Sequence[str]], active_reps: Collection[str], vacant_owner: str | None
) -> dict[str, Cover]:
    """territory_id -> who covers it, for each territory with an empty pool: its `manager` when an
    active rep (a manager who left covers nothing), else `vacant_owner` when set."""
    covers = {}
    for territory in plan.territories:
        if pools.get(territory.id):
            continue
        if territory.manager is not None and territory.manager in active_reps:
            covers[territory.id] = Cover(territory.manager, "its manager")
        elif vacant_owner:
            covers[territory.id] = Cover(vacant_owner, "the vacant owner")
    return covers


def covered(rows: pl.DataFrame, covers: Mapping[str, Cover]) -> pl.DataFrame:
    """Rows (territory_id, rep_id, reason, ...) whose territory is covered and whose rep is empty,
    given the covering rep, with the reason saying so."""
    if not covers:
        return rows
    who = pl.DataFrame(
        {
            "territory_id": list(covers),
            "_cover": [c.rep_id for c in covers.values()],
            "_said": [f" Vacant: {c} takes its accounts." for c in covers.values()],
        },
        schema={"territory_id": pl.String, "_cover": pl.String, "_said": pl.String},
    )
    joined = rows.join(who, on="territory_id", how="left", maintain_order="left")
    takes = pl.col("rep_id").is_null() & pl.col("_cover").is_not_null()
    return joined.with_columns(
        pl.when(takes).then(pl.col("_cover")).otherwise(pl.col("rep_id")).alias("rep_id"),
        pl.when(takes).then(pl.col("reason") + pl.col("_said")).otherwise(pl.col("reason")).alias("reason"),
    ).drop("_cover", "_said")
