"""A sample pipeline for an account book: opportunities moving through stages, with the history of
each one's stage, amount and expected close day, from a known process (so a forecast can be checked)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import polars as pl

from territorial.generate.accounts import segment_index
from territorial.generate.vocabulary import PRODUCTS

# Open stages in order; a deal leaves each one to the next, or is lost there.
STAGES = ("Prospecting", "Qualification", "Proposal", "Negotiation")
WON, LOST = "Closed Won", "Closed Lost"
PROBABILITY = {"Prospecting": 10, "Qualification": 25, "Proposal": 50, "Negotiation": 75, WON: 100, LOST: 0}
# Chance of moving on from each stage: about 29% of deals are won, near the B2B norm of 20-30%.
ADVANCE = {"Prospecting": 0.70, "Qualification": 0.70, "Proposal": 0.75, "Negotiation": 0.80}
MEAN_DAYS_IN_STAGE = {"Prospecting": 14, "Qualification": 21, "Proposal": 30, "Negotiation": 21}
LOST_SPEED = 0.5  # lost deals die in half the time a stage takes: they close faster than won ones

# Deals per account over the two years, and their size, by segment (Enterprise, Mid-Market, SMB).
DEALS_PER_ACCOUNT = (4.0, 1.5, 0.4)
MEDIAN_AMOUNT = (120_000, 30_000, 6_000)
AMOUNT_SIGMA = 0.6
REVISED_AMOUNT_SIGMA = 0.15  # a proposal re-prices the deal a little
ROUND_AMOUNT_TO = 100
CLOSE_PLANNED_DAYS = (150, 90, 60)  # the expected close day a rep first enters, after creation
SLIP_DAYS = 30  # a deal past its expected close day gets a new one this far out

FIRST_CREATED = dt.date(2025, 1, 1)
PIPELINE_AS_OF = dt.date(2026, 12, 31)  # the export's day: later events have not happened yet
OPPORTUNITY_ID_PREFIX = "OPP-"

OPPORTUNITY_SCHEMA = pl.Schema(
    {
        "opportunity_id": pl.String,
        "account_id": pl.String,
        "rep_id": pl.String,
        "name": pl.String,
        "product": pl.String,
        "stage": pl.String,
        "amount": pl.Float64,
        "created": pl.Date,
        "closed": pl.Date,
        "won": pl.Boolean,
        "is_closed": pl.Boolean,
        "probability": pl.Float64,
    }
)
HISTORY_SCHEMA = pl.Schema(
    {
        "history_id": pl.String,
        "opportunity_id": pl.String,
        "changed": pl.Date,
        "stage": pl.String,
        "amount": pl.Float64,
        "expected_close": pl.Date,
        "probability": pl.Float64,
    }
)


@dataclass(frozen=True)
class Pipeline:
    opportunities: pl.DataFrame  # as the CRM shows them on PIPELINE_AS_OF (OPPORTUNITY_SCHEMA)
    history: pl.DataFrame  # every change up to that day (HISTORY_SCHEMA)


def generate_opportunities(accounts: pl.DataFrame, seed: int) -> Pipeline:
    """Deals for the accounts (account_id, name, employees, owner_id), created over the two years to
    PIPELINE_AS_OF; each deal's rep is its account's owner. Same accounts and seed, same pipeline.

    Every deal walks the stages together, one stage a step (numpy over all deals: 16,000 deals in a
    tenth of a second, where a loop over deals took 3 s of the demo): in each, it moves on or is lost
    after a random time; what would happen after PIPELINE_AS_OF has not happened yet."""
    rng = np.random.default_rng(seed)
    employees = accounts.get_column("employees").cast(pl.Float64).fill_null(0).to_numpy()
    counts = rng.poisson(np.array(DEALS_PER_ACCOUNT)[segment_index(employees)])
    rows = np.repeat(np.arange(accounts.height), counts)
    span = (PIPELINE_AS_OF - FIRST_CREATED).days
    created = rng.integers(0, span + 1, rows.size)
    order = np.lexsort((rows, created))  # ids in the order deals were created
    rows, created = rows[order], created[order]
    segment = segment_index(employees[rows])
    n = rows.size
    amount = _rounded(
        np.array(MEDIAN_AMOUNT, dtype=np.float64)[segment] * rng.lognormal(0.0, AMOUNT_SIGMA, n)
    )
    expected = created + np.array(CLOSE_PLANNED_DAYS)[segment]
    day = created.copy()
    at = np.zeros(n, dtype=np.int64)  # the stage a deal is in (its index in STAGES)
    outcome = np.full(n, "", dtype=object)  # WON or LOST once closed
    changes = [_changes(np.arange(n), day, np.array(STAGES, dtype=object)[at], amount, expected)]
    for position, stage in enumerate(STAGES):
        moving = outcome == ""
        if position > 0:
            moving &= at == position
        moves_on = rng.random(n) < ADVANCE[stage]
        waited = rng.exponential(MEAN_DAYS_IN_STAGE[stage] * np.where(moves_on, 1.0, LOST_SPEED))
        revised = _rounded(amount * rng.lognormal(0.0, REVISED_AMOUNT_SIGMA, n))
        then = day + 1 + waited.astype(np.int64)
        moving &= then <= span  # later changes are not known on PIPELINE_AS_OF
        day = np.where(moving, then, day)
        expected = np.where(moving & (day > expected), day + SLIP_DAYS, expected)
        last = position + 1 == len(STAGES)
        outcome = np.where(moving & ~moves_on, LOST, np.where(moving & moves_on & last, WON, outcome))
        advancing = moving & moves_on & (not last)
        at = np.where(advancing, position + 1, at)
        if not last and STAGES[position + 1] == "Proposal":
            amount = np.where(advancing, revised, amount)
        stage_now = np.where(outcome != "", outcome, np.array(STAGES, dtype=object)[at])
        closed_now = outcome != ""
        picked = np.flatnonzero(moving)
        changes.append(
            _changes(
                picked,
                day[picked],
                stage_now[picked],
                amount[picked],
                np.where(closed_now, day, expected)[picked],
            )
        )
    width = max(7, len(str(n)))
    ids = [f"{OPPORTUNITY_ID_PREFIX}{number:0{width}d}" for number in range(1, n + 1)]
    products = np.array(PRODUCTS, dtype=object)[rng.integers(len(PRODUCTS), size=n)]
    closed = outcome != ""
    stage_final = np.where(closed, outcome, np.array(STAGES, dtype=object)[at])
    buyers = accounts[rows]
    opportunities = pl.DataFrame(
        {
            "opportunity_id": ids,
            "account_id": buyers.get_column("account_id"),
            "rep_id": buyers.get_column("owner_id"),
            "name": buyers.get_column("name") + " - " + pl.Series(products.tolist(), dtype=pl.String),
            "product": products.tolist(),
            "stage": stage_final.tolist(),
            "amount": amount,
            "created": _dates(created),
            # Open deals show their expected close day, as a Salesforce export's CloseDate does.
            "closed": _dates(np.where(closed, day, expected)),
            "won": outcome == WON,
            "is_closed": closed,
            "probability": _probabilities(stage_final),
        },
        schema=OPPORTUNITY_SCHEMA,
    )
    return Pipeline(opportunities, _history(pl.concat(changes), ids))


def _changes(
    deals: np.ndarray, day: np.ndarray, stage: np.ndarray, amount: np.ndarray, expected: np.ndarray
) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "deal": deals.astype(np.int64),
            "changed": _dates(day),
            "stage": pl.Series(stage.tolist(), dtype=pl.String),
            "amount": amount.astype(np.float64),
            "expected_close": _dates(expected),
            "probability": _probabilities(stage),
        }
    )


def _history(changes: pl.DataFrame, ids: list[str]) -> pl.DataFrame:
    """One row per change, by deal and then in the order they happened, numbered within the deal."""
    ordered = changes.with_row_index("step").sort("deal", "step")
    opportunity = pl.Series(ids).gather(ordered.get_column("deal"))
    number = pl.int_range(1, pl.len() + 1).over("deal").cast(pl.String).str.zfill(2)
    return (
        ordered.with_columns(
            opportunity.alias("opportunity_id"), (opportunity + "-" + number).alias("history_id")
        )
        .select(HISTORY_SCHEMA.names())
        .cast(HISTORY_SCHEMA)
    )


def _dates(offsets: np.ndarray) -> pl.Series:
    first = np.datetime64(FIRST_CREATED.isoformat(), "D")
    return pl.Series(first + np.asarray(offsets, dtype=np.int64).astype("timedelta64[D]"), dtype=pl.Date)


def _probabilities(stages: np.ndarray) -> pl.Series:
    return pl.Series([float(PROBABILITY[str(s)]) for s in stages], dtype=pl.Float64)


def _rounded(amount: np.ndarray) -> np.ndarray:
    return np.maximum(ROUND_AMOUNT_TO, np.round(amount / ROUND_AMOUNT_TO) * ROUND_AMOUNT_TO)
