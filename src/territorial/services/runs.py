"""Stored assignment runs: listing them and showing one, by territory and rep."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from territorial.domain.plan import PRIMARY
from territorial.domain.stored import StoredRunInfo
from territorial.errors import BadInput
from territorial.services.assign import run_results
from territorial.services.unit_of_work import WorkspaceStore

RUN_COLUMNS = {
    "run_id": pl.Int64,
    "plan_id": pl.Int64,
    "started_at": pl.Datetime,
    "accounts": pl.Int64,
    "unassigned": pl.Int64,
    "ties": pl.Int64,
    "actor": pl.String,
}


def list_runs(workspace: WorkspaceStore) -> pl.DataFrame:
    """Every assignment run, oldest first, with its plan and counts."""
    with workspace.unit_of_work() as uow:
        runs = uow.runs.list()
    return pl.DataFrame(
        [tuple(getattr(run, name) for name in RUN_COLUMNS) for run in runs], schema=RUN_COLUMNS, orient="row"
    )


@dataclass(frozen=True)
class RunShown:
    info: StoredRunInfo
    plan_name: str | None
    by_territory: pl.DataFrame  # layer, territory_id, rep_id, accounts, workload


def show_run(workspace: WorkspaceStore, run_id: int) -> RunShown:
    """One run: what it was, and its accounts and workload per territory and rep (the unassigned and
    the vacant as rows of their own), primary layer first."""
    with workspace.unit_of_work() as uow:
        info = uow.runs.get(run_id)
        plan = uow.plans.get(info.plan_id) if info is not None else None
    if info is None:
        raise BadInput.at(f"no assignment run with id {run_id}; `territorial run list` shows them", "RUN_ID")
    rows = run_results(workspace, run_id)
    by_territory = (
        rows.group_by("layer", "territory_id", "rep_id")
        .agg(pl.len().alias("accounts"), pl.col("workload").sum())
        .sort(pl.col("layer") != PRIMARY, "layer", "territory_id", "rep_id", nulls_last=True)
    )
    return RunShown(info, None if plan is None else plan.name, by_territory)
