"""The routing audit in the workspace: decisions with their paths, pool states, and reading them back
for `route explain` and the fairness report."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from pathlib import Path

import polars as pl

from territorial.domain.leads import Routed, lead_key
from territorial.domain.stored import StoredDecision
from territorial.errors import BadInput
from territorial.io.reps import read_reps
from territorial.routing.round_robin import PoolState, RoundRobin
from territorial.services.context import Context
from territorial.services.unit_of_work import UnitOfWork, WorkspaceStore


def pool_states(uow: UnitOfWork) -> dict[str, PoolState]:
    return uow.routing.pools()


def decisions_frame(decisions: Sequence[Routed]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "lead_id": [d.lead_id for d in decisions],
            "decision": [d.outcome.value for d in decisions],
            "rep_id": [d.rep_id for d in decisions],
            "territory_id": [d.territory_id for d in decisions],
            "matched_account_id": [d.matched_account_id for d in decisions],
            "score": [d.score for d in decisions],
            "reason": [d.reason for d in decisions],
            "relevance": [None if d.relevance is None else round(d.relevance, 4) for d in decisions],
            "product": [d.product for d in decisions],
            "queue": [d.queue for d in decisions],
        },
        schema={
            "lead_id": pl.String,
            "decision": pl.String,
            "rep_id": pl.String,
            "territory_id": pl.String,
            "matched_account_id": pl.String,
            "score": pl.Int64,
            "reason": pl.String,
            "relevance": pl.Float64,
            "product": pl.String,
            "queue": pl.String,
        },
    )


# The workspace lock routing holds while it reads, moves and stores pools: two processes routing at
# once never give the same turn twice.
ROUTE_LOCK = "route"


def record_decisions(
    uow: UnitOfWork,
    ctx: Context,
    plan_id: int | None,
    plan_name: str,
    source: str,
    decisions: Sequence[Routed],
    pools: Mapping[str, RoundRobin],
    started: datetime,
) -> int:
    """Store a routing run, its decisions with their paths and where the pools now stand, in a unit of
    work that holds ROUTE_LOCK: the run's id. Rows, not a frame: a request's one lead costs a few
    polars calls of fixed overhead each, more than storing it."""
    rows = [
        {
            "lead_id": d.lead_id,
            "email": d.email,
            "lead_day": d.day,
            "decision": d.outcome.value,
            "rep_id": d.rep_id,
            "territory_id": d.territory_id,
            "matched_account_id": d.matched_account_id,
            "score": d.score,
            "relevance": None if d.relevance is None else round(d.relevance, 4),
            "product": d.product,
            "queue": d.queue,
            "in_pool": d.in_pool,
            "reason": d.reason,
            "path": json.dumps([s.as_dict() for s in d.path]),
            "crm_owner": d.crm_owner,
            "crm_owner_rep_id": d.crm_owner_rep_id,
        }
        for d in decisions
    ]
    weights = [(t, rep.rep_id, rep.lead_weight) for t, robin in sorted(pools.items()) for rep in robin.pool]
    run_id = uow.routing.add_run(plan_id, plan_name, source, started, rows, ctx.actor, weights)
    uow.routing.save_pools({t: robin.state() for t, robin in pools.items()}, ctx.now(), run_id)
    uow.routing.finish_run(run_id, ctx.now())
    return run_id


def explain_lead(workspace: WorkspaceStore, lead_id: str) -> list[StoredDecision]:
    """Every stored decision for a lead, oldest first, each with its full path; a Salesforce Lead Id
    may be given in either form (lead_key)."""
    with workspace.unit_of_work() as uow:
        decisions = uow.routing.decisions_for(lead_key(lead_id))
    if not decisions:
        raise BadInput.at(f"no routing decision is stored for lead {lead_id!r}", "LEAD_ID")
    return decisions


def fairness_report(
    workspace: WorkspaceStore,
    start: date | None = None,
    end: date | None = None,
    reps_file: str | Path | None = None,
    route_run_id: int | None = None,
) -> pl.DataFrame:
    """Per territory pool and rep, for leads dated from `start` to `end` (inclusive) or of one routing
    run: leads and expected value (the sum of fit chances; the lead count when leads were not scored)
    against the rep's weight share of the pool. Only leads shared by round robin count: matched and
    duplicate leads follow account ownership, not the rotation.

    Each lead is judged by the weights its routing run stored (a reps file's, or the workspace's at the
    time), so a rep's share is what the pool owed them lead by lead. Runs stored before runs kept their
    weights fall back to `reps_file` or the workspace's reps, over the pool's current members."""
    with workspace.unit_of_work() as uow:
        frame = uow.routing.pooled_leads(start, end, route_run_id)
        stored = uow.routing.pool_weights(start, end, route_run_id)
        listed = read_reps(reps_file) if reps_file is not None else uow.reps.list()
        known = {rep.rep_id: rep.lead_weight for rep in listed}
        pools = pool_states(uow)
    owed = _leads_owed(frame, stored, pools, known)
    per_rep = (
        frame.group_by("territory_id", "rep_id")
        .agg(
            pl.len().alias("leads"),
            pl.when(pl.col("score").is_null())
            .then(1.0)
            .otherwise(pl.col("score") / 100)
            .sum()
            .alias("expected"),
        )
        .join(owed, on=["territory_id", "rep_id"], how="full", coalesce=True)
        .with_columns(
            pl.col("leads").fill_null(0),
            pl.col("expected").fill_null(0.0),
            pl.col("owed").fill_null(0.0),
            pl.col("weight").fill_null(1.0),
        )
    )
    by_pool = pl.col("territory_id")
    return (
        per_rep.with_columns(
            (pl.col("owed") / pl.col("leads").sum().over(by_pool)).alias("weight_share"),
            (pl.col("leads") / pl.col("leads").sum().over(by_pool)).alias("lead_share"),
            (pl.col("expected") / pl.col("expected").sum().over(by_pool)).alias("expected_share"),
            (pl.col("leads") - pl.col("owed")).alias("leads_vs_share"),
        )
        .select(
            "territory_id",
            "rep_id",
            "weight",
            pl.col("weight_share").round(4),
            "leads",
            pl.col("lead_share").round(4),
            pl.col("leads_vs_share").round(2),
            pl.col("expected").round(2).alias("expected_value"),
            pl.col("expected_share").round(4),
        )
        .sort("territory_id", "rep_id")
    )


def _leads_owed(
    frame: pl.DataFrame, stored: pl.DataFrame, pools: Mapping[str, PoolState], known: Mapping[str, float]
) -> pl.DataFrame:
    """territory_id, rep_id, owed (the leads a rep's weight share earned, summed run by run) and weight
    (the latest one)."""
    run_pool = ["route_run_id", "territory_id"]
    counts = frame.group_by(run_pool).agg(pl.len().alias("pooled"))
    # Runs without stored weights: the pool's current members and whoever won its leads, weighed by
    # `known` (1 when a rep is not listed).
    unweighed = counts.join(stored.select(run_pool).unique(), on=run_pool, how="anti")
    members = pl.concat(
        [
            pl.DataFrame(
                [(t, rep) for t, state in pools.items() for rep in state["pointers"]],
                schema={"territory_id": pl.String, "rep_id": pl.String},
                orient="row",
            ),
            frame.select("territory_id", "rep_id"),
        ]
    ).unique()
    fallback = (
        unweighed.select(run_pool)
        .join(members, on="territory_id")
        .with_columns(
            pl.col("rep_id").replace_strict(known, default=1.0, return_dtype=pl.Float64).alias("weight")
        )
    )
    weighed = pl.concat([stored, fallback.select(stored.columns)])
    return (
        weighed.join(counts, on=run_pool)
        .with_columns(
            (pl.col("pooled") * pl.col("weight") / pl.col("weight").sum().over(run_pool)).alias("owed")
        )
        .sort("route_run_id")
        .group_by("territory_id", "rep_id")
        .agg(pl.col("owed").sum(), pl.col("weight").last())
    )
