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
    PIPELINE_AS_OF; each deal's rep is its account's owner. Same accounts and seed, same pipeline."""
    rng = np.random.default_rng(seed)
    employees = accounts.get_column("employees").cast(pl.Float64).fill_null(0).to_numpy()
    segment = segment_index(employees)
    counts = rng.poisson(np.array(DEALS_PER_ACCOUNT)[segment])
    rows = np.repeat(np.arange(accounts.height), counts)
    span = (PIPELINE_AS_OF - FIRST_CREATED).days
    created_offsets = rng.integers(0, span + 1, rows.size)
    order = np.lexsort((rows, created_offsets))  # ids in the order deals were created
    rows, created_offsets = rows[order], created_offsets[order]
    ids = accounts.get_column("account_id").to_list()
    names = accounts.get_column("name").to_list()
    owners = accounts.get_column("owner_id").to_list()
    deals, changes = [], []
    width = max(7, len(str(rows.size)))
    for number, (row, offset) in enumerate(zip(rows.tolist(), created_offsets.tolist(), strict=True)):
        opportunity_id = f"{OPPORTUNITY_ID_PREFIX}{number + 1:0{width}d}"
        product = str(PRODUCTS[int(rng.integers(len(PRODUCTS)))])
        deal, history = _one_deal(
            rng, opportunity_id, FIRST_CREATED + dt.timedelta(days=offset), segment[row]
        )
        deals.append(
            {
                **deal,
                "opportunity_id": opportunity_id,
                "account_id": ids[row],
                "rep_id": owners[row],
                "name": f"{names[row]} - {product}",
                "product": product,
            }
        )
        changes.extend(history)
    opportunities = pl.DataFrame(deals, schema=OPPORTUNITY_SCHEMA).select(OPPORTUNITY_SCHEMA.names())
    return Pipeline(opportunities, pl.DataFrame(changes, schema=HISTORY_SCHEMA))


def _one_deal(
    rng: np.random.Generator, opportunity_id: str, created: dt.date, segment: int
) -> tuple[dict[str, object], list[dict[str, object]]]:
    """A deal's state on PIPELINE_AS_OF and its history: created in Prospecting, then each stage
    either moves on or loses the deal after a random time; nothing after PIPELINE_AS_OF is known."""
    amount = _rounded(MEDIAN_AMOUNT[segment] * rng.lognormal(0.0, AMOUNT_SIGMA))
    expected = created + dt.timedelta(days=CLOSE_PLANNED_DAYS[segment])
    history: list[dict[str, object]] = []

    def record(day: dt.date, stage: str) -> None:
        history.append(
            {
                "history_id": f"{opportunity_id}-{len(history) + 1:02d}",
                "opportunity_id": opportunity_id,
                "changed": day,
                "stage": stage,
                "amount": amount,
                "expected_close": day if stage in (WON, LOST) else expected,
                "probability": float(PROBABILITY[stage]),
            }
        )

    record(created, STAGES[0])
    day, stage, final = created, STAGES[0], None
    for position, stage in enumerate(STAGES):
        moves_on = rng.random() < ADVANCE[stage]
        days = rng.exponential(MEAN_DAYS_IN_STAGE[stage] * (1.0 if moves_on else LOST_SPEED))
        day = day + dt.timedelta(days=1 + int(days))
        if day > PIPELINE_AS_OF:
            break
        if day > expected:
            expected = day + dt.timedelta(days=SLIP_DAYS)
        if not moves_on:
            final = LOST
        elif position + 1 == len(STAGES):
            final = WON
        else:
            stage = STAGES[position + 1]
            if stage == "Proposal":
                amount = _rounded(amount * rng.lognormal(0.0, REVISED_AMOUNT_SIGMA))
        record(day, final or stage)
        if final is not None:
            break
    closed = final is not None
    deal = {
        "stage": final or stage,
        "amount": amount,
        "created": created,
        # Open deals show their expected close day, as a Salesforce export's CloseDate does.
        "closed": day if closed else expected,
        "won": final == WON,
        "is_closed": closed,
        "probability": float(PROBABILITY[final or stage]),
    }
    return deal, history


def _rounded(amount: float) -> float:
    return float(max(ROUND_AMOUNT_TO, round(amount / ROUND_AMOUNT_TO) * ROUND_AMOUNT_TO))
