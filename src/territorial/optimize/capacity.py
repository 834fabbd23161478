"""Headcount from workload: reps needed per group at a target utilisation, and how an alignment
with a given number of reps scores (balance and compactness)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl

from territorial.optimize import location
from territorial.optimize.problem import Units, distances

ROUNDING_SLACK = 1e-9  # 2,000 h at 1,000 h × 0.8 is 2.5 reps, and 1,600 h at 2,000 × 0.8 is exactly 1
NO_VALUE = "(none)"
HOURS_DECIMALS, FTE_DECIMALS = 2, 4  # as written out; reps needed come from the unrounded figures


def reps_needed(hours: float, hours_per_rep: float, utilisation: float) -> int:
    """ceil(hours / (hours per rep × utilisation)): the reps who can carry the workload."""
    return max(0, math.ceil(hours / (hours_per_rep * utilisation) - ROUNDING_SLACK))


@dataclass(frozen=True)
class Headcount:
    """Reps needed per group. `table` has the group columns, then accounts, workload_hours,
    fte (workload over selling hours at the target utilisation), reps_needed and current_reps."""

    table: pl.DataFrame
    by: list[str]
    hours_per_rep: float
    utilisation: float
    accounts: int
    workload_hours: float
    reps_needed: int  # the groups' reps added up: each group is staffed on its own
    pooled_reps: int  # reps needed if every rep could cover every group
    current_reps: int | None  # distinct current owners, when known


def headcount(
    groups: pl.DataFrame,
    hours: np.ndarray,
    owners: Sequence[str | None] | None,
    hours_per_rep: float,
    utilisation: float,
) -> Headcount:
    """The reps each group needs. `groups` holds one row per account with the columns to group by
    (none: one group of everything); empty values form their own group, shown as "(none)"."""
    if not hours_per_rep > 0:
        raise ValueError("hours per rep must be positive")
    if not 0 < utilisation <= 1:
        raise ValueError("the utilisation must be above 0 and at most 1, such as 0.8")
    by = list(groups.columns)
    frame = pl.DataFrame(
        {
            "__hours": np.asarray(hours, dtype=np.float64),
            "__owner": pl.Series(
                list(owners) if owners is not None else [None] * len(hours), dtype=pl.String
            ),
        }
    )
    if by:
        frame = frame.hstack(groups.select(pl.col(c).cast(pl.String).fill_null(NO_VALUE) for c in by))
    capacity = hours_per_rep * utilisation
    if not by:
        frame = frame.with_columns(pl.lit("all").alias("__all"))
    table = (
        frame.group_by(by or ["__all"])
        .agg(
            pl.len().alias("accounts"),
            pl.col("__hours").sum().alias("workload_hours"),
            pl.col("__owner").drop_nulls().n_unique().alias("current_reps"),
        )
        .with_columns((pl.col("workload_hours") / capacity).alias("fte"))
        .with_columns(
            pl.col("fte")
            .map_elements(lambda fte: max(0, math.ceil(fte - ROUNDING_SLACK)), return_dtype=pl.Int64)
            .alias("reps_needed")
        )
        .sort(by or "__all")
        .select(*by, "accounts", "workload_hours", "fte", "reps_needed", "current_reps")
        .with_columns(pl.col("workload_hours").round(HOURS_DECIMALS), pl.col("fte").round(FTE_DECIMALS))
    )
    table = table.with_columns(pl.col("accounts").cast(pl.Int64), pl.col("current_reps").cast(pl.Int64))
    known = [o for o in owners or [] if o is not None]
    total = float(np.sum(hours))
    return Headcount(
        table=table if owners is not None else table.drop("current_reps"),
        by=by,
        hours_per_rep=hours_per_rep,
        utilisation=utilisation,
        accounts=len(hours),
        workload_hours=total,
        reps_needed=int(table["reps_needed"].sum()),
        pooled_reps=reps_needed(total, hours_per_rep, utilisation),
        current_reps=len(set(known)) if owners is not None else None,
    )


@dataclass(frozen=True)
class Scenario:
    """How an alignment into `reps` territories of equal capacity scores."""

    name: str
    reps: int
    max_deviation: float  # largest |workload / equal share - 1| over the territories
    within: int  # territories within the tolerance
    mean_km: float  # workload-weighted mean distance to the territory's centre
    utilisation: float  # workload hours over the reps' selling hours


def scenario(
    name: str,
    units: Units,
    labels: np.ndarray,
    k: int,
    hours_per_rep: float,
    tolerance: float,
    workload: str = "workload",
) -> Scenario:
    """Score an alignment: balance against equal shares, and compactness around each territory's
    weighted median centre (the point the optimizer centres a territory without a home on)."""
    w = np.asarray(units.metrics[workload], dtype=np.float64)
    totals = np.bincount(labels, weights=w, minlength=k)
    share = w.sum() / k
    deviation = np.abs(totals / share - 1.0) if share > 0 else np.zeros(k)
    centres = location.centres(units.xy, units.geographic, np.arange(len(units)), labels, w, np.zeros((k, 2)))
    km = distances(units, np.arange(len(units)), centres, labels)
    return Scenario(
        name=name,
        reps=k,
        max_deviation=float(deviation.max()) if k else 0.0,
        within=int(np.count_nonzero(deviation <= tolerance + 1e-9)),
        mean_km=float(np.sum(w * km) / w.sum()) if w.sum() > 0 else 0.0,
        utilisation=float(w.sum() / (k * hours_per_rep)) if k else 0.0,
    )
