"""The routing audit in the workspace: decisions with their paths, pool states, and reading them back
for `route explain` and the fairness report."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import polars as pl
from sqlalchemy import ColumnElement, Connection, delete, insert, select, update

from territorial.domain.entities import REPS
from territorial.errors import BadInput
from territorial.io.reps import Rep, reps_from_frame
from territorial.routing.round_robin import PoolState, RoundRobin
from territorial.routing.route import Earlier, Routed
from territorial.rules.to_polars import POLARS_TYPES
from territorial.store import tables
from territorial.store.bulk import insert_frame, now, read_frame
from territorial.store.workspace import Workspace

# Emails looked up per query: well under SQLite's limit on bound parameters.
EMAILS_PER_QUERY = 500


def stored_reps(connection: Connection) -> dict[str, Rep] | None:
    schema = {name: POLARS_TYPES[ftype] for name, ftype in REPS.fields.items()}
    frame = read_frame(connection, tables.ENTITY_TABLES[REPS.entity], schema)
    return reps_from_frame(frame) if frame.height else None


def pool_states(connection: Connection) -> dict[str, PoolState]:
    rows = connection.execute(select(tables.routing_pools.c.territory_id, tables.routing_pools.c.state)).all()
    return {row.territory_id: json.loads(row.state) for row in rows}


def earlier_leads(connection: Connection, emails: Iterable[str], since: date) -> dict[str, Earlier]:
    """Per email, the latest stored lead from it that reached a rep on or after `since`."""
    decisions = tables.routing_decisions
    found: dict[str, Earlier] = {}
    wanted = sorted(set(emails))
    for start in range(0, len(wanted), EMAILS_PER_QUERY):
        rows = connection.execute(
            select(
                decisions.c.email,
                decisions.c.lead_id,
                decisions.c.lead_day,
                decisions.c.rep_id,
                decisions.c.territory_id,
            )
            .where(
                decisions.c.email.in_(wanted[start : start + EMAILS_PER_QUERY]),
                decisions.c.rep_id.is_not(None),
                decisions.c.lead_day >= since,
            )
            .order_by(decisions.c.lead_day, decisions.c.decision_id)
        ).all()
        for row in rows:  # in date order, so the latest lead of each email is kept
            found[row.email] = Earlier(row.lead_id, row.lead_day, row.rep_id, row.territory_id)
    return found


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


def store_decisions(
    workspace: Workspace,
    plan_id: int | None,
    plan_name: str,
    source: str,
    decisions: Sequence[Routed],
    pools: Mapping[str, RoundRobin],
) -> int:
    """Store a routing run, its decisions with their paths and where the pools now stand."""
    started = now()
    with workspace.writing("route") as connection:
        run_id = int(
            connection.execute(
                insert(tables.routing_runs)
                .values(
                    plan_id=plan_id,
                    plan_name=plan_name,
                    source=source,
                    started_at=started,
                    leads=len(decisions),
                )
                .returning(tables.routing_runs.c.route_run_id)
            ).scalar_one()
        )
        frame = decisions_frame(decisions).select(
            pl.lit(run_id).alias("route_run_id"),
            "lead_id",
            pl.Series("email", [d.email for d in decisions], dtype=pl.String),
            pl.Series("lead_day", [d.day for d in decisions], dtype=pl.Date),
            "decision",
            "rep_id",
            "territory_id",
            "matched_account_id",
            "score",
            "relevance",
            "product",
            "queue",
            pl.Series("in_pool", [d.in_pool for d in decisions], dtype=pl.Boolean),
            "reason",
            pl.Series(
                "path", [json.dumps([s.as_dict() for s in d.path]) for d in decisions], dtype=pl.String
            ),
        )
        insert_frame(connection, tables.routing_decisions, frame)
        if pools:
            connection.execute(
                delete(tables.routing_pools).where(tables.routing_pools.c.territory_id.in_(pools))
            )
            stamp = now()
            connection.execute(
                insert(tables.routing_pools),
                [
                    {
                        "territory_id": t,
                        "state": json.dumps(robin.state(), sort_keys=True),
                        "updated_at": stamp,
                    }
                    for t, robin in sorted(pools.items())
                ],
            )
        connection.execute(
            update(tables.routing_runs)
            .where(tables.routing_runs.c.route_run_id == run_id)
            .values(finished_at=now())
        )
    return run_id


@dataclass(frozen=True)
class StoredDecision:
    route_run_id: int
    lead_id: str
    lead_day: date
    decision: str
    rep_id: str | None
    territory_id: str | None
    matched_account_id: str | None
    score: int | None
    relevance: float | None
    product: str | None
    queue: str | None
    reason: str
    path: list[dict[str, str]]
    source: str
    plan_name: str


def explain_lead(workspace: Workspace, lead_id: str) -> list[StoredDecision]:
    """Every stored decision for a lead, oldest first, each with its full path."""
    decisions, runs = tables.routing_decisions, tables.routing_runs
    with workspace.reading() as connection:
        rows = connection.execute(
            select(decisions, runs.c.source, runs.c.plan_name)
            .join(runs, runs.c.route_run_id == decisions.c.route_run_id)
            .where(decisions.c.lead_id == lead_id)
            .order_by(decisions.c.decision_id)
        ).all()
    if not rows:
        raise BadInput.at(f"no routing decision is stored for lead {lead_id!r}", "LEAD_ID")
    return [
        StoredDecision(
            route_run_id=row.route_run_id,
            lead_id=row.lead_id,
            lead_day=row.lead_day,
            decision=row.decision,
            rep_id=row.rep_id,
            territory_id=row.territory_id,
            matched_account_id=row.matched_account_id,
            score=row.score,
            relevance=row.relevance,
            product=row.product,
            queue=row.queue,
            reason=row.reason,
            path=json.loads(row.path),
            source=row.source,
            plan_name=row.plan_name,
        )
        for row in rows
    ]


def fairness_report(
    workspace: Workspace,
    start: date | None = None,
    end: date | None = None,
    reps: Mapping[str, Rep] | None = None,
    route_run_id: int | None = None,
) -> pl.DataFrame:
    """Per territory pool and rep, for leads dated from `start` to `end` (inclusive) or of one routing
    run: leads and expected value (the sum of fit chances; the lead count when leads were not scored)
    against the rep's weight share of the pool. Only leads shared by round robin count: matched and
    duplicate leads follow account ownership, not the rotation."""
    decisions = tables.routing_decisions
    conditions: list[ColumnElement[bool]] = [decisions.c.in_pool.is_(True)]
    if start is not None:
        conditions.append(decisions.c.lead_day >= start)
    if end is not None:
        conditions.append(decisions.c.lead_day <= end)
    if route_run_id is not None:
        conditions.append(decisions.c.route_run_id == route_run_id)
    with workspace.reading() as connection:
        rows = connection.execute(
            select(decisions.c.territory_id, decisions.c.rep_id, decisions.c.score).where(*conditions)
        ).all()
        known = reps if reps is not None else (stored_reps(connection) or {})
        pools = pool_states(connection)
    frame = pl.DataFrame(
        rows, schema={"territory_id": pl.String, "rep_id": pl.String, "score": pl.Int64}, orient="row"
    )
    # Pool members who won no lead in the period still hold a weight share: add them with zero leads.
    members = pl.DataFrame(
        [(t, rep) for t, state in pools.items() for rep in state["pointers"]],
        schema={"territory_id": pl.String, "rep_id": pl.String},
        orient="row",
    ).join(frame.select("territory_id").unique(), on="territory_id", how="semi")
    weights = pl.DataFrame(
        {"rep_id": list(known), "weight": [rep.lead_weight for rep in known.values()]},
        schema={"rep_id": pl.String, "weight": pl.Float64},
    )
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
        .join(members, on=["territory_id", "rep_id"], how="full", coalesce=True)
        .with_columns(pl.col("leads").fill_null(0), pl.col("expected").fill_null(0.0))
        .join(weights, on="rep_id", how="left")
        .with_columns(pl.col("weight").fill_null(1.0))
    )
    by_pool = pl.col("territory_id")
    return (
        per_rep.with_columns(
            (pl.col("weight") / pl.col("weight").sum().over(by_pool)).alias("weight_share"),
            (pl.col("leads") / pl.col("leads").sum().over(by_pool)).alias("lead_share"),
            (pl.col("expected") / pl.col("expected").sum().over(by_pool)).alias("expected_share"),
        )
        .with_columns(
            (pl.col("leads") - pl.col("weight_share") * pl.col("leads").sum().over(by_pool)).alias(
                "leads_vs_share"
            )
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
