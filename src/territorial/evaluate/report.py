"""The quarterly review's own figures, on frames: who holds each county, the largest moves since the
last plan, the forecast against quota, and the recommendations in plain words."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl

from territorial.domain.fairness import Fairness
from territorial.domain.plan import PRIMARY
from territorial.evaluate.fairness import targets

NO_TERRITORY = "(no territory)"
COUNTY_COLUMNS = {
    "layer": pl.String,
    "county": pl.String,
    "territory_id": pl.String,
    "accounts": pl.Int64,
    "county_accounts": pl.Int64,
    "share": pl.Float64,
}
FLOW_COLUMNS = {
    "from_territory": pl.String,
    "to_territory": pl.String,
    "accounts": pl.Int64,
    "potential": pl.Float64,
}
QUOTA_COLUMNS = ["territory_id", "forecast", "low", "high", "quota", "forecast_to_quota", "outlook"]
# Where the 80% interval sits against quota, in the words a sales leader reads.
BELOW, AT_RISK, ON_TRACK, NO_QUOTA = "below quota", "at risk", "on track", "no quota"


@dataclass(frozen=True)
class CountyHolders:
    """Per layer and county, the territory holding most of its accounts and that share; and the
    accounts whose county is not on the map (unknown, or not among the boundaries)."""

    counties: pl.DataFrame  # COUNTY_COLUMNS, by layer (primary first) and county
    off_map: pl.DataFrame  # account_id, territory_id, lat, lon: primary layer only

    @property
    def layers(self) -> list[str]:
        names = self.counties.get_column("layer").unique().to_list()
        return sorted(names, key=lambda name: (name != PRIMARY, name))


def county_holders(placement: pl.DataFrame, places: pl.DataFrame, known: set[str]) -> CountyHolders:
    """placement: account_id, layer, territory_id; places: account_id, county (5-digit FIPS or None),
    lat, lon. Each county takes the territory with most of its accounts in each layer (ties: the
    lowest territory id); accounts in no territory count as "(no territory)" in the primary layer.
    Accounts whose county is None or not in `known` are listed instead, with their primary
    territory and coordinates (None where not located)."""
    on_map = places.filter(pl.col("county").is_in(sorted(known)))
    placed = placement.select(
        "account_id", "layer", pl.col("territory_id").fill_null(NO_TERRITORY).cast(pl.String)
    )
    primary = placed.filter(pl.col("layer") == PRIMARY)
    # Every account is in the primary layer, placed or not; an overlay shows only where it reaches.
    every = (
        places.select("account_id")
        .join(primary, on="account_id", how="left")
        .with_columns(pl.lit(PRIMARY).alias("layer"), pl.col("territory_id").fill_null(NO_TERRITORY))
    )
    overlays = placed.filter((pl.col("layer") != PRIMARY) & (pl.col("territory_id") != NO_TERRITORY))
    rows = pl.concat([every, overlays]).join(on_map.select("account_id", "county"), on="account_id")
    counts = rows.group_by("layer", "county", "territory_id").agg(pl.len().cast(pl.Int64).alias("accounts"))
    totals = rows.group_by("layer", "county").agg(pl.len().cast(pl.Int64).alias("county_accounts"))
    holders = (
        counts.sort(["accounts", "territory_id"], descending=[True, False])
        .group_by("layer", "county", maintain_order=True)
        .first()
        .join(totals, on=["layer", "county"])
        .with_columns((pl.col("accounts") / pl.col("county_accounts")).alias("share"))
        .sort([pl.col("layer") != PRIMARY, "layer", "county"])
        .select([pl.col(c).cast(t) for c, t in COUNTY_COLUMNS.items()])
    )
    off = (
        places.filter(~pl.col("account_id").is_in(on_map.get_column("account_id").implode()))
        .join(every.select("account_id", "territory_id"), on="account_id", how="left")
        .select("account_id", "territory_id", "lat", "lon")
        .sort("account_id")
    )
    return CountyHolders(holders, off)


def balance_bars(table: pl.DataFrame, measures: Sequence[str], capacities: dict[str, float]) -> pl.DataFrame:
    """group, measure, value, target, of_target for each territory (table: group and the measures;
    rows named in brackets left out, as fairness leaves them out), targets as `fairness` sets them:
    by capacity where reps carry it, else the mean. Sorted by measure order, then group."""
    real = table.filter(~pl.col("group").str.starts_with("(")).sort("group")
    groups = real.get_column("group").to_list()
    capacity = np.array([capacities.get(g, np.nan) for g in groups], dtype=np.float64) if capacities else None
    parts = []
    for measure in measures:
        values = real.get_column(measure).cast(pl.Float64).fill_null(0.0).to_numpy()
        target = targets(values, capacity)
        of_target = np.divide(values, target, out=np.full_like(values, np.nan), where=target > 0)
        parts.append(
            pl.DataFrame(
                {
                    "group": groups,
                    "measure": measure,
                    "value": values,
                    "target": target,
                    "of_target": of_target,
                },
                schema={
                    "group": pl.String,
                    "measure": pl.String,
                    "value": pl.Float64,
                    "target": pl.Float64,
                    "of_target": pl.Float64,
                },
            ).with_columns(pl.col("of_target").fill_nan(None))
        )
    return pl.concat(parts) if parts else pl.DataFrame()


def territory_flows(movers: pl.DataFrame, potential: pl.DataFrame, top: int) -> pl.DataFrame:
    """FLOW_COLUMNS: primary-layer moves (movers: account_id, layer, from_territory, to_territory)
    counted from territory to territory with the potential they carry (potential: account_id,
    potential); the `top` largest by accounts, then potential, then territory ids."""
    moved = movers.filter(
        (pl.col("layer") == PRIMARY) & pl.col("from_territory").ne_missing(pl.col("to_territory"))
    )
    flows = (
        moved.join(potential, on="account_id", how="left")
        .with_columns(
            pl.col("from_territory").fill_null(NO_TERRITORY),
            pl.col("to_territory").fill_null(NO_TERRITORY),
        )
        .group_by("from_territory", "to_territory")
        .agg(pl.len().cast(pl.Int64).alias("accounts"), pl.col("potential").fill_null(0.0).sum())
        .sort(
            ["accounts", "potential", "from_territory", "to_territory"],
            descending=[True, True, False, False],
        )
    )
    return flows.head(top).select([pl.col(c).cast(t) for c, t in FLOW_COLUMNS.items()])


def forecast_against_quota(forecast: pl.DataFrame, quota: pl.DataFrame) -> pl.DataFrame:
    """QUOTA_COLUMNS per territory from forecast (territory_id, forecast, low, high: one period) and
    quota (territory_id, quota; null where none). The outlook is "below quota" when even the high
    end of the 80% interval misses it, "at risk" when the forecast does, "on track" otherwise.
    Sorted by forecast ÷ quota, lowest first (no quota last), then territory."""
    joined = forecast.join(quota, on="territory_id", how="full", coalesce=True).with_columns(
        pl.col("forecast").fill_null(0.0), pl.col("low").fill_null(0.0), pl.col("high").fill_null(0.0)
    )
    has_quota = pl.col("quota").is_not_null() & (pl.col("quota") > 0)
    outlook = (
        pl.when(~has_quota)
        .then(pl.lit(NO_QUOTA))
        .when(pl.col("high") < pl.col("quota"))
        .then(pl.lit(BELOW))
        .when(pl.col("forecast") < pl.col("quota"))
        .then(pl.lit(AT_RISK))
        .otherwise(pl.lit(ON_TRACK))
    )
    return (
        joined.with_columns(
            pl.when(has_quota).then(pl.col("forecast") / pl.col("quota")).alias("forecast_to_quota"),
            outlook.alias("outlook"),
        )
        .sort(["forecast_to_quota", "territory_id"], nulls_last=True)
        .select(QUOTA_COLUMNS)
    )


def rebalance_advice(
    balance: Sequence[Fairness], drifted: pl.DataFrame | None, command: str | None, shown: int = 5
) -> list[str]:
    """Which territories to rebalance: those outside the fairness tolerance on each measure, and
    those whose figures drifted past the threshold since the assignment was made (drifted:
    territory_id, measure, change), with the rebalance command when drift gave one."""
    if not any(measure.groups for measure in balance):
        return ["There are no territories to balance yet: no plan places the accounts."]
    advice = []
    for measure in balance:
        flagged = measure.flagged
        if flagged.is_empty():
            continue
        named = [
            f"{group} ({off:+.0%})"
            for group, off in flagged.select("group", "off_target").head(shown).iter_rows()
        ]
        more = flagged.height - len(named)
        advice.append(
            f"Rebalance {measure.measure}: {flagged.height} of {measure.groups} territories are more than "
            f"±{measure.tolerance:.0%} off their target — {', '.join(named)}"
            + (f" and {more} more" if more > 0 else "")
            + "."
        )
    if drifted is not None and not drifted.is_empty():
        named = [
            f"{t} ({m} {'new' if c is None else f'{c:+.0%}'})"
            for t, m, c in drifted.select("territory_id", "measure", "change").head(shown).iter_rows()
        ]
        more = drifted.height - len(named)
        advice.append(
            "Figures drifted past the threshold since the assignment was made: "
            + ", ".join(named)
            + (f" and {more} more" if more > 0 else "")
            + (f". Run: {command}" if command else ".")
        )
    if not advice:
        advice.append("No territory needs rebalancing: every balanced figure is within tolerance.")
    return advice


def headcount_advice(needs: pl.DataFrame, shown: int = 5) -> list[str]:
    """Where to add headcount: needs has territory_id, fte, reps_needed, current_reps; territories
    needing more reps than they have, the largest gap first."""
    short = (
        needs.with_columns((pl.col("reps_needed") - pl.col("current_reps")).alias("gap"))
        .filter(pl.col("gap") > 0)
        .sort(["gap", "fte", "territory_id"], descending=[True, True, False])
    )
    if short.is_empty():
        return ["No territory needs more reps than it has for its workload."]
    named = [
        f"{t} needs {need} rep{'s' if need != 1 else ''} ({fte:.1f} FTE of workload) and has {have}"
        for t, fte, need, have in short.select("territory_id", "fte", "reps_needed", "current_reps")
        .head(shown)
        .iter_rows()
    ]
    more = short.height - len(named)
    total = int(short.get_column("gap").sum())
    return [
        f"Add headcount: {total} rep{'s' if total != 1 else ''} across {short.height} "
        f"territor{'ies' if short.height != 1 else 'y'} — "
        + "; ".join(named)
        + (f"; and {more} more" if more > 0 else "")
        + "."
    ]


def penetration_advice(index: pl.DataFrame, untapped: pl.DataFrame, shown: int = 5) -> list[str]:
    """Under-penetrated territories (index: territory_id, index, under_penetrated) with the accounts
    holding their most untapped potential (untapped: territory_id, rank, account_id)."""
    under = index.filter(pl.col("under_penetrated"))
    advice = []
    for territory, value in under.select("territory_id", "index").head(shown).iter_rows():
        accounts = (
            untapped.filter(pl.col("territory_id") == territory)
            .sort("rank")
            .get_column("account_id")
            .to_list()
        )
        work = f": work {', '.join(accounts[:3])}" if accounts else ""
        advice.append(f"{territory} books {value:.0%} of its share of potential{work}.")
    if under.height > shown:
        advice.append(f"… and {under.height - shown} more under-penetrated territories.")
    return advice


def kpi_summary(table: pl.DataFrame) -> list[tuple[str, str]]:
    """The headline figures of a KPI table by territory (evaluate.kpis.KPI_COLUMNS), as (label,
    value) in words: rows named in brackets ("(no territory)", "(no account)") count in the totals
    but not as territories."""
    real = table.filter(~pl.col("group").str.starts_with("("))
    nowhere = table.filter(pl.col("group") == NO_TERRITORY)

    def total(column: str, frame: pl.DataFrame = table) -> float:
        return float(frame.get_column(column).cast(pl.Float64).fill_null(0.0).sum())

    won, lost = total("won"), total("lost")
    rows = [
        ("Territories", f"{real.height:,}"),
        ("Accounts", f"{total('accounts'):,.0f}"),
        ("Accounts in no territory", f"{total('accounts', nowhere):,.0f}"),
        ("Workload", f"{total('workload'):,.0f}"),
        ("Potential", f"{total('potential'):,.0f}"),
        ("Open pipeline", f"{total('open_pipeline'):,.0f}"),
        ("Weighted pipeline", f"{total('weighted_pipeline'):,.0f}"),
        ("Bookings", f"{total('bookings'):,.0f}"),
        ("Win rate", f"{won / (won + lost):.0%}" if won + lost else "no deal closed"),
    ]
    return rows
