"""Coverage gaps: potential that no territory or no rep covers, by account and by area (ZIP or
county), and market potential in areas where the workspace has no account."""

from __future__ import annotations

import polars as pl

from territorial.domain.plan import PRIMARY

NO_TERRITORY, NO_REP = "no territory", "no rep"
ACCOUNT_GAP_COLUMNS = ["account_id", "area", "gap", "potential"]
AREA_COLUMNS = [
    "area",
    "accounts",
    "potential",
    "uncovered_accounts",
    "uncovered_potential",
    "uncovered_share",
]
MARKET_COLUMNS = ["area", "market_potential"]


def uncovered_accounts(placement: pl.DataFrame, accounts: pl.DataFrame) -> pl.DataFrame:
    """ACCOUNT_GAP_COLUMNS: every account whose primary row has no territory, or a territory but no
    rep, most potential first (ties by account_id). An account with no primary row has no territory.
    placement: account_id, layer, territory_id, rep_id; accounts: account_id, area, potential."""
    primary = placement.filter(pl.col("layer") == PRIMARY).select("account_id", "territory_id", "rep_id")
    joined = accounts.join(primary, on="account_id", how="left")
    gap = (
        pl.when(pl.col("territory_id").is_null())
        .then(pl.lit(NO_TERRITORY))
        .when(pl.col("rep_id").is_null())
        .then(pl.lit(NO_REP))
    )
    return (
        joined.with_columns(gap.alias("gap"), pl.col("potential").cast(pl.Float64).fill_null(0.0))
        .filter(pl.col("gap").is_not_null())
        .select(ACCOUNT_GAP_COLUMNS)
        .sort(["potential", "account_id"], descending=[True, False])
    )


def area_gaps(accounts: pl.DataFrame, uncovered: pl.DataFrame) -> pl.DataFrame:
    """AREA_COLUMNS for each area with uncovered potential (accounts with no area are left out): its
    accounts and potential, and the part no territory or rep covers. Most uncovered potential first,
    ties by area."""
    located = accounts.filter(pl.col("area").is_not_null())
    totals = located.group_by("area").agg(
        pl.len().alias("accounts"), pl.col("potential").cast(pl.Float64).fill_null(0.0).sum()
    )
    missing = (
        uncovered.filter(pl.col("area").is_not_null())
        .group_by("area")
        .agg(pl.len().alias("uncovered_accounts"), pl.col("potential").sum().alias("uncovered_potential"))
    )
    share = pl.when(pl.col("potential") > 0).then(pl.col("uncovered_potential") / pl.col("potential"))
    return (
        totals.join(missing, on="area", how="inner")
        .with_columns(share.alias("uncovered_share"))
        .with_columns(pl.col("accounts").cast(pl.Int64), pl.col("uncovered_accounts").cast(pl.Int64))
        .select(AREA_COLUMNS)
        .sort(["uncovered_potential", "area"], descending=[True, False])
    )


def market_gaps(market: pl.DataFrame, accounts: pl.DataFrame) -> pl.DataFrame:
    """MARKET_COLUMNS: the market's areas (area, potential) where the workspace has no account, summed
    per area, most potential first (ties by area)."""
    present = accounts.get_column("area").drop_nulls().unique()
    return (
        market.filter(~pl.col("area").is_in(present.implode()))
        .group_by("area")
        .agg(pl.col("potential").cast(pl.Float64).sum().alias("market_potential"))
        .sort(["market_potential", "area"], descending=[True, False])
        .select(MARKET_COLUMNS)
    )
