"""KPIs of a chosen assignment, per territory, rep, manager, layer or any rep field: book figures follow
where the assignment puts each account; performance figures come from the deals closed in the period."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import polars as pl

from territorial.domain.opportunities import is_closed, is_lost, is_won
from territorial.domain.plan import PRIMARY
from territorial.evaluate.periods import Period

TERRITORY, REP, LAYER, MANAGER = "territory", "rep", "layer", "manager"
GROUPINGS = (TERRITORY, REP, MANAGER, LAYER)
# Rows of their own for what no group holds.
NO_TERRITORY = "(no territory)"
VACANT = "(vacant)"  # in a territory with no rep
NO_ACCOUNT = "(no account)"  # a deal whose account is not named
NO_REP = "(no rep)"
GROUP = "group"

BOOK_COLUMNS = ["accounts", "workload", "potential", "open_pipeline", "weighted_pipeline", "overlaps", "ties"]
PERFORMANCE_COLUMNS = ["bookings", "won", "lost", "win_rate", "win_rate_value", "average_deal", "cycle_days"]
KPI_COLUMNS = [GROUP, *BOOK_COLUMNS, "quota", *PERFORMANCE_COLUMNS, "attainment"]
DAYS_IN_YEAR = 365.25  # a rep's quota field is annual; a period takes its share by days


@dataclass(frozen=True)
class Deals:
    """The workspace's opportunities with `value`: the amount, else the product's list price."""

    frame: pl.DataFrame  # opportunity_id, account_id, rep_id, stage, value, created, closed, won, is_closed
    unpriced_open: int  # open deals with neither an amount nor a list price: counted at 0


def rep_field(by: str) -> str | None:
    """The rep field a grouping reads (manager is manager_id), or None for territory and layer."""
    if by in (TERRITORY, LAYER):
        return None
    return {REP: "rep_id", MANAGER: "manager_id"}.get(by, by)


def priced(deals: pl.DataFrame, price_list: pl.DataFrame | None) -> Deals:
    """Each deal's value: its amount, else its product's list price (a Prospecting deal with no amount
    yet, a lost deal whose CRM zeroed it)."""
    value = pl.col("amount")
    if price_list is not None and "product" in deals.columns:
        deals = deals.join(price_list, on="product", how="left")
        value = pl.coalesce(value, pl.col("list_price"))
    framed = deals.with_columns(value.cast(pl.Float64).alias("value"), is_closed().alias("is_closed"))
    unpriced = framed.filter(~pl.col("is_closed") & pl.col("value").is_null()).height
    return Deals(framed.drop("list_price", strict=False), unpriced)


def stage_win_rates(deals: pl.DataFrame, history: pl.DataFrame | None) -> pl.DataFrame:
    """stage, win_rate, closed_deals: of the closed deals that were ever in a stage (their history, or
    the stage they show), the share won. Sorted by stage."""
    closed = deals.filter(is_closed()).select("opportunity_id", is_won().alias("won"))
    seen = deals.select("opportunity_id", "stage")
    if history is not None and history.height:
        seen = pl.concat([seen, history.select("opportunity_id", "stage")])
    return (
        seen.drop_nulls()
        .unique()
        .join(closed, on="opportunity_id")
        .group_by("stage")
        .agg(pl.col("won").mean().alias("win_rate"), pl.len().alias("closed_deals"))
        .sort("stage")
    )


def stage_probabilities(
    deals: pl.DataFrame, history: pl.DataFrame | None, configured: Mapping[str, float] | None
) -> tuple[dict[str, float], float]:
    """Each stage's chance of winning, and the chance for a stage nothing says: the configured
    `stage_probabilities` first, else the win rate learned by stage, else the overall win rate."""
    closed = deals.filter(is_closed())
    overall = float(closed.select(is_won().mean()).item() or 0.0) if closed.height else 0.0
    learned = {stage: float(rate) for stage, rate, _n in stage_win_rates(deals, history).iter_rows()}
    return {**learned, **(configured or {})}, overall


def kpi_table(
    placement: pl.DataFrame,
    accounts: pl.DataFrame,
    deals: pl.DataFrame,
    reps: pl.DataFrame,
    by: str,
    period: Period | None = None,
    probabilities: tuple[Mapping[str, float], float] = ({}, 0.0),
    known_groups: Sequence[str] = (),
    quotas: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """KPI_COLUMNS, one row per group, sorted (rows for what no group holds last).

    placement: account_id, layer, territory_id, rep_id, overlaps, tie (the chosen assignment);
    accounts: account_id, workload, potential; deals: as `priced` gives them; reps: rep_id and the
    grouping's field, quota. Performance figures follow the deal's own rep for rep groupings and the
    account's territory for territory and layer. `known_groups` get a row even when they hold nothing.
    quotas: layer, territory_id, rep_id, quota (saved quotas taken for the period); without them, the
    reps' quota field.
    """
    placed = placed_accounts(placement, reps, by)
    by_stage, fallback = probabilities
    open_deals = deals.filter(~pl.col("is_closed")).with_columns(
        (
            pl.col("value").fill_null(0.0)
            * pl.col("stage").replace_strict(dict(by_stage), default=fallback, return_dtype=pl.Float64)
        ).alias("weighted")
    )
    pipeline = (
        _by_account(open_deals, placed)
        .group_by(GROUP)
        .agg(
            pl.col("value").fill_null(0.0).sum().alias("open_pipeline"),
            pl.col("weighted").sum().alias("weighted_pipeline"),
        )
    )
    book = book_figures(placed, accounts)
    closed = deals.filter(pl.col("is_closed"))
    if period is not None:
        closed = closed.filter(pl.col("closed").is_between(period.start, period.end))
    field = rep_field(by)
    performance = _performance(deal_groups(closed, reps, by, placed))
    groups = pl.DataFrame({GROUP: sorted(set(known_groups))}, schema={GROUP: pl.String})
    for part in (book, pipeline, performance):
        groups = groups.join(part, on=GROUP, how="full", coalesce=True)
    table = groups.with_columns(pl.col(c).fill_null(0) for c in (*BOOK_COLUMNS, "bookings", "won", "lost"))
    table = table.with_columns(
        _quota(reps, field, period) if quotas is None else _saved_quota(quotas, reps, by, field)
    )
    attainment = pl.when(pl.col("quota") > 0).then(pl.col("bookings") / pl.col("quota"))
    special = pl.col(GROUP).str.starts_with("(")
    return (
        table.with_columns(attainment.alias("attainment"), pl.col("accounts").cast(pl.Int64))
        .select(KPI_COLUMNS)
        .sort([special, GROUP])
    )


def book_figures(placed: pl.DataFrame, accounts: pl.DataFrame) -> pl.DataFrame:
    """group, accounts, workload, potential, overlaps, ties: what each group's book holds. placed:
    as `placed_accounts` gives it; accounts: account_id, workload, potential."""
    return (
        placed.join(accounts, on="account_id", how="left")
        .group_by(GROUP)
        .agg(
            pl.col("account_id").n_unique().alias("accounts"),
            pl.col("workload").fill_null(0.0).sum(),
            pl.col("potential").fill_null(0.0).sum(),
            (pl.col("overlaps").fill_null("") != "").sum().alias("overlaps"),
            pl.col("tie").fill_null(False).sum().alias("ties"),
        )
    )


def deal_groups(deals: pl.DataFrame, reps: pl.DataFrame, by: str, placed: pl.DataFrame) -> pl.DataFrame:
    """deals with `group`: their own rep's for rep groupings, their account's territory's (`placed`, as
    `placed_accounts` gives it) for territory and layer."""
    field = rep_field(by)
    return _by_rep(deals, reps, field) if field is not None else _by_account(deals, placed)


def placed_accounts(placement: pl.DataFrame, reps: pl.DataFrame, by: str) -> pl.DataFrame:
    """account_id, group, overlaps, tie: where the assignment puts each account for the grouping (every
    layer's territory for `layer`, else the primary layer's)."""
    if by == LAYER:
        rows = placement.filter(pl.col("territory_id").is_not_null() | (pl.col("layer") == PRIMARY))
        group = (
            pl.when(pl.col("territory_id").is_null()).then(pl.lit(NO_TERRITORY)).otherwise(pl.col("layer"))
        )
        return rows.select("account_id", group.alias(GROUP), "overlaps", "tie")
    rows = placement.filter(pl.col("layer") == PRIMARY)
    if by == TERRITORY:
        return rows.select(
            "account_id", pl.col("territory_id").fill_null(NO_TERRITORY).alias(GROUP), "overlaps", "tie"
        )
    field = rep_field(by)
    assert field is not None
    rows = _rep_group(rows, reps, field)
    # An account with a rep counts for the rep even outside any territory (the owners of a workspace
    # with no plan yet).
    missing = pl.when(pl.col("territory_id").is_null()).then(pl.lit(NO_TERRITORY)).otherwise(pl.lit(VACANT))
    group = pl.when(pl.col("rep_id").is_null()).then(missing).otherwise(pl.col(GROUP))
    return rows.select("account_id", group.alias(GROUP), "overlaps", "tie")


def _rep_group(rows: pl.DataFrame, reps: pl.DataFrame, field: str) -> pl.DataFrame:
    """rows with `group`: the rep's `field` ("(no field)" when the rep has none)."""
    if field == "rep_id":
        return rows.with_columns(pl.col("rep_id").alias(GROUP))
    values = (
        reps.select("rep_id", pl.col(field).cast(pl.String).alias(GROUP))
        if field in reps.columns
        else pl.DataFrame(schema={"rep_id": pl.String, GROUP: pl.String})
    )
    joined = rows.join(values, on="rep_id", how="left")
    return joined.with_columns(pl.col(GROUP).fill_null(f"(no {field})"))


def _by_rep(deals: pl.DataFrame, reps: pl.DataFrame, field: str) -> pl.DataFrame:
    grouped = _rep_group(deals, reps, field)
    return grouped.with_columns(
        pl.when(pl.col("rep_id").is_null()).then(pl.lit(NO_REP)).otherwise(pl.col(GROUP)).alias(GROUP)
    )


def _by_account(deals: pl.DataFrame, placed: pl.DataFrame) -> pl.DataFrame:
    """Deals with the group of their account (one row per group of a layered account)."""
    joined = deals.join(placed.select("account_id", GROUP), on="account_id", how="left")
    group = (
        pl.when(pl.col("account_id").is_null())
        .then(pl.lit(NO_ACCOUNT))
        .otherwise(pl.col(GROUP).fill_null(NO_TERRITORY))
    )
    return joined.with_columns(group.alias(GROUP))


def _performance(closed: pl.DataFrame) -> pl.DataFrame:
    won, lost = is_won(), is_lost()
    won_value = pl.col("value").filter(won).fill_null(0.0).sum()
    lost_value = pl.col("value").filter(lost).fill_null(0.0).sum()
    cycle = (pl.col("closed") - pl.col("created")).dt.total_days().filter(won).median()
    bookings = pl.col("amount").filter(won).fill_null(0.0).sum()
    return (
        closed.group_by(GROUP)
        .agg(
            bookings.alias("bookings"),
            won.sum().alias("won"),
            lost.sum().alias("lost"),
            (won_value / (won_value + lost_value)).alias("win_rate_value"),
            cycle.cast(pl.Float64).alias("cycle_days"),
        )
        .with_columns(
            (pl.col("won") / (pl.col("won") + pl.col("lost"))).alias("win_rate"),
            pl.when(pl.col("won") > 0).then(pl.col("bookings") / pl.col("won")).alias("average_deal"),
            pl.when(pl.col("win_rate_value").is_nan())
            .then(None)
            .otherwise(pl.col("win_rate_value"))
            .alias("win_rate_value"),
        )
    )


def _quota(reps: pl.DataFrame, field: str | None, period: Period | None) -> pl.Expr:
    """The reps' quota field (annual) summed per group and taken for the period's share of a year;
    empty for territory and layer groupings and without a period (quotas by territory and period are
    stored by `quota allocate`)."""
    if field is None or period is None or "quota" not in reps.columns:
        return pl.lit(None, pl.Float64).alias("quota")
    shares = _rep_group(reps.filter(pl.col("quota").is_not_null()), reps, field)
    sums = dict(shares.group_by(GROUP).agg(pl.col("quota").cast(pl.Float64).sum()).iter_rows())
    share = period.days / DAYS_IN_YEAR
    return (
        pl.col(GROUP)
        .replace_strict({k: v * share for k, v in sums.items()}, default=None, return_dtype=pl.Float64)
        .alias("quota")
    )


def _saved_quota(quotas: pl.DataFrame, reps: pl.DataFrame, by: str, field: str | None) -> pl.Expr:
    """Saved quotas summed per group: by layer, each layer's; otherwise the primary layer's (an
    overlay's quota is on top of it), by territory or by the rep's group ("(vacant)" for a territory
    with no rep)."""
    if by == LAYER:
        rows = quotas.select(pl.col("layer").alias(GROUP), "quota")
    else:
        primary = quotas.filter(pl.col("layer") == PRIMARY)
        if field is None:
            rows = primary.select(pl.col("territory_id").alias(GROUP), "quota")
        else:
            grouped = _rep_group(primary, reps, field)
            vacant = pl.when(pl.col("rep_id").is_null()).then(pl.lit(VACANT)).otherwise(pl.col(GROUP))
            rows = grouped.select(vacant.alias(GROUP), "quota")
    sums = dict(rows.group_by(GROUP).agg(pl.col("quota").sum()).iter_rows())
    return pl.col(GROUP).replace_strict(sums, default=None, return_dtype=pl.Float64).alias("quota")
