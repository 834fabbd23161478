"""Use cases: allocate a period's quota target over a plan's territories and reps, report how fair it is
and how it compares with bottom-up numbers, and save it for `kpis`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from pathlib import Path

import numpy as np
import polars as pl

from territorial.domain.entities import Entity
from territorial.domain.fairness import Fairness
from territorial.domain.opportunities import is_won
from territorial.domain.plan import PRIMARY
from territorial.domain.quotas import SavedQuota
from territorial.errors import BadInput
from territorial.evaluate.fairness import fairness
from territorial.evaluate.periods import Period, parse_period
from territorial.evaluate.quotas import (
    Allocation,
    GrowthBounds,
    QuotaWeights,
    TerritoryFigures,
    allocate,
    employed_share,
)
from territorial.io.tables import read_table
from territorial.progress import Progress, silent
from territorial.services.context import Context
from territorial.services.kpis import DEAL_TYPES, choose_assignment
from territorial.services.settings import load_settings
from territorial.services.unit_of_work import WorkspaceStore

LOCK = "quota allocate"
QUOTA_COLUMNS = ["territory_id", "rep_id", "quota", "potential", "history", "lowest", "highest", "employed"]
# A rep's quota ÷ potential is compared across the reps who hold some potential.
RATIO = "quota_per_potential"


@dataclass(frozen=True)
class QuotaReport:
    described: str
    period: Period
    layer: str
    target: int
    table: pl.DataFrame  # QUOTA_COLUMNS, by territory then rep (a vacant territory's rep is null)
    by_rep: pl.DataFrame  # rep_id, quota, potential, quota_per_potential
    spread: Fairness  # of quota ÷ potential across reps
    bottom_up: pl.DataFrame | None  # key, allocated, bottom_up, difference, difference_pct
    saved: bool


def allocate_quotas(
    workspace: WorkspaceStore,
    ctx: Context,
    target: int,
    period: str,
    plan: str,
    weights: str = "potential=0.6,history=0.4",
    min_growth: float = 0.0,
    max_growth: float = 0.3,
    round_to: int = 1000,
    layer: str = PRIMARY,
    ramp: str | None = None,
    save: bool = False,
    bottom_up: Path | None = None,
    progress: Progress = silent,
) -> QuotaReport:
    """`target` over the plan's territories in `layer` by potential and trailing bookings within the
    growth bounds, then over each territory's reps by how much of the period they are employed."""
    settings = load_settings()
    chosen_period = parse_period(period, settings.fiscal_year_start_month)
    blend = parse_weights(weights)
    schedule = parse_ramp(ramp)
    if round_to < 1:
        raise BadInput.at(f"--round is a whole amount of at least 1, not {round_to}", "--round")
    if min_growth > max_growth:
        raise BadInput.at(f"--min-growth {min_growth} is above --max-growth {max_growth}", "--min-growth")
    if target < 0:
        raise BadInput.at(f"a target is an amount of 0 or more, not {target:,}", "--target")
    with workspace.unit_of_work() as uow:
        chosen = choose_assignment(uow, ctx, settings, None, plan, progress)
        reps = uow.records.read(
            Entity.REPS, {"rep_id": pl.String(), "start_date": pl.Date()}, active_only=True
        )
        deals = uow.records.read(Entity.OPPORTUNITIES, DEAL_TYPES, active_only=True)
    assert chosen.plan is not None  # --plan always names one
    leaves = [t for t in chosen.plan.territories if t.layer == layer and not t.children]
    if not leaves:
        layers = ", ".join(chosen.plan.layers)
        raise BadInput.at(f"the plan has no territory in layer '{layer}'; its layers: {layers}", "--layer")
    placed = chosen.placement.filter(pl.col("layer") == layer).join(
        chosen.accounts, on="account_id", how="left"
    )
    potential = _sums(placed, "territory_id", "potential")
    history = _sums(
        _trailing_bookings(deals, chosen_period).join(placed, on="account_id"), "territory_id", "amount"
    )
    figures = [
        TerritoryFigures(t.id, potential.get(t.id, 0.0), history.get(t.id, 0.0), tuple(t.reps))
        for t in leaves
    ]
    starts = dict(reps.select("rep_id", "start_date").iter_rows())
    employed = {
        r: employed_share(starts.get(r), chosen_period.start, chosen_period.end, schedule)
        for t in leaves
        for r in t.reps
    }
    progress("Allocating the quotas", None)
    allocation = allocate(target, figures, blend, GrowthBounds(min_growth, max_growth, round_to), employed)
    table = _quota_table(allocation, figures, employed)
    by_rep = _by_rep(allocation, _sums(placed, "rep_id", "potential"))
    real = by_rep.filter(pl.col("potential") > 0)
    spread = fairness(RATIO, real.get_column("rep_id").to_list(), real.get_column(RATIO).to_numpy())
    compared = None if bottom_up is None else compare_bottom_up(table, read_bottom_up(bottom_up))
    if save:
        saved = [
            SavedQuota(
                chosen_period.label, chosen_period.start, chosen_period.end, layer, t, r, float(a), ctx.actor
            )
            for t, r, a in allocation.reps
        ]
        with workspace.unit_of_work(write=True, lock=LOCK) as uow:
            uow.quotas.save(saved, ctx.now())
    return QuotaReport(chosen.described, chosen_period, layer, target, table, by_rep, spread, compared, save)


def parse_weights(text: str) -> QuotaWeights:
    """potential=0.6,history=0.4: either may be left out (0); they need not sum to 1."""
    found = {"potential": 0.0, "history": 0.0}
    for part in (p.strip() for p in text.split(",") if p.strip()):
        name, _, value = part.partition("=")
        name = name.strip().lower()
        try:
            number = float(value)
        except ValueError:
            number = -1.0
        if name not in found or number < 0 or not np.isfinite(number):
            raise BadInput.at(f"'{part}' is not a weight; expected potential=0.6,history=0.4", "--weights")
        found[name] = number
    if found["potential"] + found["history"] <= 0:
        raise BadInput.at("the weights sum to 0; expected potential=0.6,history=0.4", "--weights")
    return QuotaWeights(found["potential"], found["history"])


def parse_ramp(text: str | None) -> tuple[float, ...]:
    """0.25,0.5,0.75: the share of a full quota in a rep's first, second, third month."""
    if text is None or not text.strip():
        return ()
    values = []
    for part in text.split(","):
        try:
            value = float(part)
        except ValueError:
            value = -1.0
        if not 0 <= value <= 1:
            raise BadInput.at(
                f"'{part.strip()}' is not a share between 0 and 1; expected 0.25,0.5,0.75", "--ramp"
            )
        values.append(value)
    return tuple(values)


def read_bottom_up(path: Path) -> pl.DataFrame:
    """key, bottom_up: a file of (territory or rep, amount)."""
    raw = read_table(path)
    keys = [c for c in ("territory", "territory_id", "rep", "rep_id") if c in raw.frame.columns]
    if not keys or "amount" not in raw.frame.columns:
        raise BadInput.at(
            "a bottom-up file has a territory (or rep) column and an amount column; "
            f"found {', '.join(raw.header)}",
            str(path),
            line=1,
        )
    frame = raw.frame.select(pl.col(keys[0]).cast(pl.String).alias("key"), pl.col("amount").cast(pl.String))
    numbers = frame.with_columns(
        pl.col("amount").str.strip_chars().cast(pl.Float64, strict=False).alias("bottom_up")
    )
    bad = numbers.with_row_index().filter(pl.col("bottom_up").is_null() | pl.col("key").is_null())
    if bad.height:
        row = int(bad.get_column("index")[0])
        raise BadInput.at(
            f"'{bad.get_column('amount')[0]}' is not an amount (or the {keys[0]} is empty)",
            str(path),
            line=raw.line_of(row),
            subject="amount",
        )
    return (
        numbers.group_by("key")
        .agg(pl.col("bottom_up").sum())
        .with_columns(pl.lit(keys[0].removesuffix("_id")).alias("level"))
    )


def compare_bottom_up(table: pl.DataFrame, bottom_up: pl.DataFrame) -> pl.DataFrame:
    """key, allocated, bottom_up, difference (allocated − bottom-up), difference_pct (of bottom-up)."""
    level = bottom_up.get_column("level")[0] if bottom_up.height else "territory"
    column = "territory_id" if level == "territory" else "rep_id"
    allocated = table.drop_nulls(column).group_by(column).agg(pl.col("quota").sum().alias("allocated"))
    joined = allocated.rename({column: "key"}).join(
        bottom_up.drop("level"), on="key", how="full", coalesce=True
    )
    difference = pl.col("allocated").fill_null(0.0) - pl.col("bottom_up").fill_null(0.0)
    return joined.select(
        "key",
        pl.col("allocated").fill_null(0.0),
        "bottom_up",
        difference.alias("difference"),
        pl.when(pl.col("bottom_up") > 0).then(difference / pl.col("bottom_up")).alias("difference_pct"),
    ).sort("key")


def _trailing_bookings(deals: pl.DataFrame, period: Period) -> pl.DataFrame:
    """account_id, amount: won deals closed in the 4 quarters (12 months) before the period."""
    start = date(period.start.year - 1, period.start.month, period.start.day)
    window = pl.col("closed").is_between(start, period.start, closed="left")
    return deals.filter(is_won() & window).select("account_id", pl.col("amount").fill_null(0.0))


def _sums(frame: pl.DataFrame, key: str, value: str) -> dict[str, float]:
    grouped = frame.drop_nulls(key).group_by(key).agg(pl.col(value).fill_null(0.0).sum())
    return {k: float(v) for k, v in grouped.iter_rows()}


def _quota_table(
    allocation: Allocation, figures: list[TerritoryFigures], employed: dict[str, Fraction]
) -> pl.DataFrame:
    by_id = {t.territory_id: t for t in figures}
    rows = [
        (
            t,
            r,
            float(a),
            by_id[t].potential,
            by_id[t].history,
            float(allocation.bounds[t][0]),
            float(allocation.bounds[t][1]) if by_id[t].history > 0 else None,
            None if r is None else float(employed.get(r, 1)),
        )
        for t, r, a in allocation.reps
    ]
    schema = dict.fromkeys(QUOTA_COLUMNS, pl.Float64) | {"territory_id": pl.String, "rep_id": pl.String}
    return pl.DataFrame(rows, schema=schema, orient="row")


def _by_rep(allocation: Allocation, potential: dict[str, float]) -> pl.DataFrame:
    quotas: dict[str, float] = {}
    for _t, rep, amount in allocation.reps:
        if rep is not None:
            quotas[rep] = quotas.get(rep, 0.0) + amount
    rows = [(r, q, potential.get(r, 0.0)) for r, q in sorted(quotas.items())]
    frame = pl.DataFrame(
        rows, schema={"rep_id": pl.String, "quota": pl.Float64, "potential": pl.Float64}, orient="row"
    )
    ratio = pl.when(pl.col("potential") > 0).then(pl.col("quota") / pl.col("potential"))
    return frame.with_columns(ratio.alias(RATIO))
