"""Words both generators share (industries, segments, products, geography, reps), so their outputs line up."""

import functools
from dataclasses import dataclass

import polars as pl

from territorial.geo.zips import load_zips


@dataclass(frozen=True)
class Industry:
    """A NAICS sector, with how common it is among accounts and how much revenue a head brings in."""

    name: str
    code: str  # short tag used in territory ids
    share: float  # relative frequency among generated accounts
    revenue_per_employee: float  # USD per year


# The 20 NAICS 2-digit sectors. Shares follow the mix of US business establishments (Census County
# Business Patterns), nudged toward the sectors that buy B2B software. Revenue per employee is a
# round sector average, enough to make revenue and headcount move together plausibly.
INDUSTRIES: tuple[Industry, ...] = (
    Industry("Agriculture, Forestry, Fishing and Hunting", "AGR", 0.010, 250_000),
    Industry("Mining, Quarrying, and Oil and Gas Extraction", "MIN", 0.004, 1_200_000),
    Industry("Utilities", "UTL", 0.003, 1_000_000),
    Industry("Construction", "CON", 0.095, 300_000),
    Industry("Manufacturing", "MFG", 0.050, 400_000),
    Industry("Wholesale Trade", "WHL", 0.050, 900_000),
    Industry("Retail Trade", "RET", 0.100, 250_000),
    Industry("Transportation and Warehousing", "TRN", 0.035, 200_000),
    Industry("Information", "INF", 0.030, 450_000),
    Industry("Finance and Insurance", "FIN", 0.065, 600_000),
    Industry("Real Estate and Rental and Leasing", "RE", 0.050, 400_000),
    Industry("Professional, Scientific, and Technical Services", "PRO", 0.130, 180_000),
    Industry("Management of Companies and Enterprises", "MGT", 0.007, 300_000),
    Industry(
        "Administrative and Support and Waste Management and Remediation Services", "ADM", 0.050, 80_000
    ),
    Industry("Educational Services", "EDU", 0.015, 90_000),
    Industry("Health Care and Social Assistance", "HC", 0.115, 110_000),
    Industry("Arts, Entertainment, and Recreation", "ART", 0.020, 100_000),
    Industry("Accommodation and Food Services", "ACC", 0.080, 60_000),
    Industry("Other Services (except Public Administration)", "OTH", 0.085, 90_000),
    Industry("Public Administration", "PUB", 0.006, 150_000),
)
INDUSTRY_NAMES: tuple[str, ...] = tuple(industry.name for industry in INDUSTRIES)
INDUSTRY_BY_NAME: dict[str, Industry] = {industry.name: industry for industry in INDUSTRIES}

# Segments by headcount, the way sales ops usually cut them: under 100 is SMB, under 1,000 Mid-Market.
ENTERPRISE = "Enterprise"
MID_MARKET = "Mid-Market"
SMB = "SMB"
SEGMENTS: tuple[str, ...] = (ENTERPRISE, MID_MARKET, SMB)
SEGMENT_CODES: dict[str, str] = {ENTERPRISE: "ENT", MID_MARKET: "MM", SMB: "SMB"}
SMB_MAX_EMPLOYEES = 99
MID_MARKET_MAX_EMPLOYEES = 999

# The product catalogue; an account's `products` lists what it already owns, in this order.
PRODUCTS: tuple[str, ...] = ("analytics", "cloud", "collaboration", "payments", "security", "support")
SECURITY_PRODUCT = "security"

COUNTRY = "US"
CENSUS_REGIONS: tuple[str, ...] = ("Northeast", "Midwest", "South", "West")
# In the Census Bureau's own numbering (1 New England ... 9 Pacific).
CENSUS_DIVISIONS: tuple[str, ...] = (
    "New England",
    "Middle Atlantic",
    "East North Central",
    "West North Central",
    "South Atlantic",
    "East South Central",
    "West South Central",
    "Mountain",
    "Pacific",
)


@dataclass(frozen=True)
class Vertical:
    """An industry-vertical overlay team and the NAICS sectors it sells to."""

    code: str
    name: str
    industries: tuple[str, ...]


# Most important first: a small plan only staffs the first few.
VERTICALS: tuple[Vertical, ...] = (
    Vertical("HEALTHCARE", "Healthcare", ("Health Care and Social Assistance",)),
    Vertical(
        "FINSERV", "Financial Services", ("Finance and Insurance", "Real Estate and Rental and Leasing")
    ),
    Vertical("MANUFACTURING", "Manufacturing", ("Manufacturing",)),
    Vertical("PUBLIC-SECTOR", "Public Sector", ("Public Administration", "Educational Services")),
    Vertical("RETAIL", "Retail and Hospitality", ("Retail Trade", "Accommodation and Food Services")),
    Vertical("TECH-MEDIA", "Technology and Media", ("Information",)),
    Vertical(
        "ENERGY", "Energy and Utilities", ("Mining, Quarrying, and Oil and Gas Extraction", "Utilities")
    ),
    Vertical("SUPPLY-CHAIN", "Supply Chain", ("Transportation and Warehousing", "Wholesale Trade")),
)

# Named-account reps cover the strategic accounts wherever they are.
NAMED_ACCOUNT_REPS: tuple[str, ...] = ("rep-na-01", "rep-na-02", "rep-na-03")

# How many reps a state gets per segment, by state population: the big six get three, mid-size two.
REPS_PER_STATE_SEGMENT = ((12_000_000, 3), (4_000_000, 2), (0, 1))


def overlay_rep(layer_code: str, number: int) -> str:
    """The id of an overlay specialist, e.g. overlay_rep("sec", 3) == "rep-sec-03"."""
    return f"rep-{layer_code}-{number:02d}"


@functools.cache
def us_states() -> pl.DataFrame:
    """The 50 states and DC, with census region, division and population, sorted by state code.

    Accounts only sit here: territories and military ZIPs are left out.
    """
    return (
        load_zips()
        .filter(pl.col("census_region").is_in(CENSUS_REGIONS))
        .group_by("state")
        .agg(
            pl.col("census_region").first().alias("region"),
            pl.col("census_division").first().alias("division"),
            pl.col("population").fill_null(0).sum().alias("population"),
            pl.col("zip").min().str.slice(0, 3).alias("first_zip3"),
        )
        .sort("state")
    )


@functools.cache
def zip3_units() -> pl.DataFrame:
    """Each (state, ZIP3) pair in the 50 states and DC with its population and its ZIP codes (all kinds).

    A ZIP3 that straddles a state line (e.g. 205 in DC, MD and VA) gives one unit per state.
    Sorted by state, then ZIP3.
    """
    return (
        load_zips()
        .filter(pl.col("state").is_in(us_states()["state"].implode()))
        .with_columns(pl.col("zip").str.slice(0, 3).alias("zip3"))
        .group_by("state", "zip3")
        .agg(pl.col("population").fill_null(0).sum(), pl.col("zip").sort().alias("zips"))
        .sort("state", "zip3")
    )


def reps_per_cell(population: int) -> int:
    for floor, count in REPS_PER_STATE_SEGMENT:
        if population >= floor:
            return count
    return 1


@functools.cache
def rep_roster() -> pl.DataFrame:
    """The geographic reps: rep_id, state, segment. Each (state, segment) cell has 1-3 reps.

    The roster does not depend on the plan size, so account owners and plan pools agree.
    Ids are numbered in (state, segment) order: rep-0001, rep-0002, ...
    """
    rows: list[tuple[str, str, str]] = []
    for state, population in us_states().select("state", "population").iter_rows():
        for segment in SEGMENTS:
            for _ in range(reps_per_cell(population)):
                rows.append((f"rep-{len(rows) + 1:04d}", state, segment))
    return pl.DataFrame(rows, schema=["rep_id", "state", "segment"], orient="row")


@functools.cache
def reps_by_cell() -> dict[tuple[str, str], tuple[str, ...]]:
    """The reps of each (state, segment) cell, in roster order."""
    cells: dict[tuple[str, str], list[str]] = {}
    for rep_id, state, segment in rep_roster().iter_rows():
        cells.setdefault((state, segment), []).append(rep_id)
    return {cell: tuple(reps) for cell, reps in cells.items()}
