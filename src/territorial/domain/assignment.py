"""An assignment run's result: a row per account and layer, and a summary per territory."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import polars as pl

RESULT_COLUMNS = [
    "account_id",
    "layer",
    "territory_id",
    "territory_name",
    "rep_id",
    "overlaps",
    "tie",
    "reason",
    "workload",
]


@dataclass
class Assignment:
    rows: pl.DataFrame  # RESULT_COLUMNS, sorted by account_id then layer
    territories: pl.DataFrame  # per-territory summary, in plan order
    accounts: int
    unassigned: int
    ties: int
    skipped_on_null: int  # accounts for which some rule was UNKNOWN because a field was empty
    null_workload: int
    # Each row's reason as an index into `reason_texts`, for storing reasons once rather than per row.
    reason_index: np.ndarray
    reason_texts: pl.Series
    # Each rep's book per layer (engine.rep_books), every rep of the plan included.
    reps: pl.DataFrame = field(default_factory=pl.DataFrame)
    # Each account's potential (account_id, value) when the plan sets `potential:`.
    account_potential: pl.DataFrame | None = None

    @property
    def vacant(self) -> list[str]:
        return self.territories.filter(pl.col("vacant")).get_column("territory_id").to_list()
