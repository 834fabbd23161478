"""The live assignment as one function of its inputs: rules, then holds, then overrides, then each
territory's pool of roster reps (README, "Plan lifecycle")."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date

import numpy as np
import polars as pl

from territorial.domain.assignment import Assignment
from territorial.domain.book import AccountBook
from territorial.domain.fields import ACCOUNT_ID, OWNER_ID
from territorial.domain.plan import PRIMARY, Plan
from territorial.engine.assign import assign
from territorial.engine.compiled import CompiledPlan
from territorial.engine.pins import Pin
from territorial.engine.vacancy import Cover, covered

# One live row per account and layer, sorted by account_id then layer (primary first).
LIVE_COLUMNS = [
    "account_id",
    "layer",
    "territory_id",
    "rep_id",
    "overlaps",
    "tie",
    "reason",
    "cause",
    "since",
]
# What `live` reads of the previous live rows.
PREVIOUS_COLUMNS = ["account_id", "layer", "territory_id", "rep_id", "cause", "since"]


@dataclass(frozen=True)
class Hold:
    """Keeps an account's territory and rep as they were when the hold was made."""

    account_id: str
    layer: str
    territory_id: str | None
    rep_id: str | None
    until: date | None = None
    actor: str = ""

    def pin(self) -> Pin:
        by = f" by {self.actor}" if self.actor else ""
        until = f" until {self.until}" if self.until else ""
        kept = f"{self.territory_id or 'no territory'} and rep {self.rep_id or 'none'}"
        text = f"Held{by}{until}: keeps {kept}."
        return Pin(self.account_id, self.layer, self.territory_id, self.rep_id, text)


@dataclass(frozen=True)
class Override:
    """Pins an account to a territory and/or a rep: a territory alone lets its pool pick the rep, a
    rep alone keeps the rules' territory."""

    account_id: str
    layer: str
    territory_id: str | None
    rep_id: str | None
    reason: str
    until: date | None = None
    actor: str = ""

    def pin(self) -> Pin:
        named = [
            *([f"territory {self.territory_id}"] if self.territory_id else ["the rules' territory"]),
            *([f"rep {self.rep_id}"] if self.rep_id else []),
        ]
        until = f" until {self.until}" if self.until else ""
        text = f"Overridden ({self.reason}){until}: {' and '.join(named)}."
        return Pin(self.account_id, self.layer, self.territory_id, self.rep_id, text)


@dataclass
class Live:
    rows: pl.DataFrame  # LIVE_COLUMNS
    assignment: Assignment  # the rules and pools it came from: summaries, rep books, workload


def live(
    accounts: AccountBook,
    plan: Plan,
    roster: Mapping[str, Sequence[str]],
    holds: Sequence[Hold],
    overrides: Sequence[Override],
    previous: pl.DataFrame | None,
    *,
    workload: np.ndarray,
    cause: str,
    since: date,
    null_workload: int = 0,
    vacant: Mapping[str, Cover] | None = None,
    carried: Mapping[str, Mapping[str, float]] | None = None,
) -> Live:
    """The live assignment of `accounts` to `plan`, per layer:

    1. rules choose the territory, as `assign` resolves it;
    2. a hold puts back the territory and rep it kept;
    3. an override replaces them again, beating a hold: a territory alone lets its pool pick the
       rep, a rep alone keeps the rules' territory;
    4. the territory's pool is its `roster` reps (territory_id -> reps in pool order; a territory
       without any is vacant): an account whose owner is in the pool keeps that owner, the rest
       (waiting) go one by one in binary account_id order to the least-loaded pool rep; held and
       overridden accounts whose rep is in the pool count toward that rep's load;
    5. a territory with an empty pool is vacant: its accounts go to who `vacant` names for it
       (engine.vacancy: its manager, else the vacant owner), else keep no rep.

    The owner in a layer is the account's rep in that layer of `previous` (the live rows until now:
    account_id, layer, territory_id, rep_id, cause, since); without a row there, its primary rep
    there; before any activation (`previous` None) its `owner_id`. A row whose territory and rep
    are those of `previous` keeps its cause and since; any other row gets `cause` and `since`.

    `carried` (territory_id -> rep -> workload) is the load pool reps already hold from accounts
    not in `accounts`: live() of some accounts with the loads of the rest equals live() of all of
    them for those accounts, as the rest are placed and keep their owners."""
    pooled = replace(
        plan, territories=tuple(replace(t, reps=tuple(roster.get(t.id, ()))) for t in plan.territories)
    )
    ids = accounts.frame.get_column(accounts.columns[ACCOUNT_ID]).cast(pl.String)
    owners = _owners(accounts, ids, plan.layers, previous) if previous is not None else None
    pins = _pins(holds, overrides)
    result = assign(CompiledPlan(pooled), accounts, workload, null_workload, owners, pins, carried)
    rows = covered(result.rows, vacant or {})
    return Live(dated(rows, previous, cause, since), result)


def _pins(holds: Sequence[Hold], overrides: Sequence[Override]) -> list[Pin]:
    """One pin per account and layer: its override, else its hold. Sorted, so the order in which
    they are given changes nothing."""
    pins = {(h.account_id, h.layer): h.pin() for h in holds}
    pins.update({(o.account_id, o.layer): o.pin() for o in overrides})
    return [pins[key] for key in sorted(pins)]


def _owners(
    accounts: AccountBook, ids: pl.Series, layers: list[str], previous: pl.DataFrame
) -> dict[str, pl.Series]:
    """Each layer's owner of every account (in the book's row order), from the previous live rows."""
    crm = (
        accounts.frame.get_column(accounts.columns[OWNER_ID]).cast(pl.String)
        if OWNER_ID in accounts.columns
        else pl.repeat(None, ids.len(), dtype=pl.String, eager=True)
    )
    base = pl.DataFrame({"account_id": ids, "owner": crm})

    def in_layer(layer: str, fallback: pl.Series) -> pl.Series:
        found = previous.filter(pl.col("layer") == layer).select(
            "account_id", pl.col("rep_id").cast(pl.String), pl.lit(True).alias("_had")
        )
        joined = base.join(found, on="account_id", how="left", maintain_order="left")
        had = joined.get_column("_had").fill_null(False)
        return joined.get_column("rep_id").zip_with(had, fallback)

    primary = in_layer(PRIMARY, crm)
    return {layer: (primary if layer == PRIMARY else in_layer(layer, primary)) for layer in layers}


def dated(
    rows: pl.DataFrame, previous: pl.DataFrame | None, cause: str | pl.Expr, since: date
) -> pl.DataFrame:
    """The rows with their cause (text, or an expression on the rows) and since: kept from
    `previous` when territory and rep are the same."""
    cause_of = pl.lit(cause) if isinstance(cause, str) else cause
    since_of = pl.lit(since, pl.Date)
    fresh = rows.with_columns(cause_of.alias("cause"), since_of.alias("since")).select(LIVE_COLUMNS)
    if previous is None or previous.is_empty():
        return fresh
    before = previous.select(
        "account_id",
        "layer",
        pl.col("territory_id").alias("_territory"),
        pl.col("rep_id").alias("_rep"),
        pl.col("cause").alias("_cause"),
        pl.col("since").alias("_since"),
    )
    joined = fresh.join(before, on=["account_id", "layer"], how="left", maintain_order="left")
    same = (
        pl.col("_cause").is_not_null()
        & pl.col("territory_id").eq_missing(pl.col("_territory"))
        & pl.col("rep_id").eq_missing(pl.col("_rep"))
    )
    return joined.with_columns(
        pl.when(same).then(pl.col("_cause")).otherwise(pl.col("cause")).alias("cause"),
        pl.when(same).then(pl.col("_since")).otherwise(pl.col("since")).alias("since"),
    ).select(LIVE_COLUMNS)
