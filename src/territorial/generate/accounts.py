"""Synthetic but realistic US accounts on real ZIP codes, with the real Fortune 500 as strategic accounts."""

import datetime as dt
import functools

import numpy as np
import polars as pl

from territorial.generate.company_names import generated_company_names
from territorial.generate.fortune500 import fortune500_accounts
from territorial.generate.vocabulary import (
    COUNTRY,
    ENTERPRISE,
    INDUSTRIES,
    INDUSTRY_NAMES,
    MID_MARKET,
    MID_MARKET_MAX_EMPLOYEES,
    NAMED_ACCOUNT_REPS,
    PRODUCTS,
    SEGMENTS,
    SMB,
    SMB_MAX_EMPLOYEES,
    rep_roster,
    us_states,
)
from territorial.geo.zips import load_zips

ACCOUNT_SCHEMA = pl.Schema(
    {
        "account_id": pl.String,
        "name": pl.String,
        "website": pl.String,
        "industry": pl.String,
        "employees": pl.Int64,
        "annual_revenue": pl.Int64,
        "segment": pl.String,
        "country": pl.String,
        "state": pl.String,
        "city": pl.String,
        "postal_code": pl.String,
        "latitude": pl.Float64,
        "longitude": pl.Float64,
        "owner_id": pl.String,
        "strategic": pl.Boolean,
        "products": pl.String,
        "created_date": pl.Date,
    }
)

FORTUNE_500_SIZE = 500
ACCOUNT_ID_PREFIX = "ACC-"
ACCOUNT_ID_DIGITS = 7

# Headcount is lognormal: the median account has 25 people, about a quarter are Mid-Market or
# bigger and about 3% Enterprise, with a long tail capped at the size of a very large employer.
EMPLOYEES_MEDIAN = 25
EMPLOYEES_SIGMA = 2.0
EMPLOYEES_MAX = 300_000
REVENUE_NOISE_SIGMA = 0.5  # lognormal spread around industry revenue per employee
STRATEGIC_SHARE_OF_ENTERPRISE = 0.005  # besides the Fortune 500, a few big accounts are named

# Owners: most accounts belong to a rep of their own state and segment, some to another rep of
# the same state (a book of business that drifted), a few to nobody.
OWNER_IN_POOL_SHARE = 0.80
OWNER_SAME_STATE_SHARE = 0.15

# Chance that an account owns each product, by segment; bigger accounts own more.
PRODUCT_ADOPTION_BY_SEGMENT = {ENTERPRISE: 0.45, MID_MARKET: 0.28, SMB: 0.12}
PRODUCT_APPEAL = {"analytics": 1.0, "cloud": 1.2, "collaboration": 1.0, "payments": 0.5, "security": 0.9}
PRODUCT_APPEAL_DEFAULT = 0.7
PAYMENTS_HEAVY_INDUSTRIES = ("Retail Trade", "Finance and Insurance", "Accommodation and Food Services")

# Accounts were created in the CRM between these dates, more of them recently; Fortune 500
# accounts were loaded in the first years.
FIRST_CREATED = dt.date(2012, 1, 1)
LAST_CREATED = dt.date(2025, 12, 31)
FORTUNE_LOADED_UNTIL = dt.date(2015, 12, 31)

COORDINATE_JITTER_DEGREES = 0.01  # about a kilometre: accounts sit near, not on, the ZIP centroid
COORDINATE_DECIMALS = 5


@functools.cache
def populated_zips() -> pl.DataFrame:
    """ZIPs in the 50 states and DC where people live."""
    states = us_states()["state"]
    return (
        load_zips()
        .filter(pl.col("state").is_in(states.implode()), pl.col("population") > 0)
        .select(
            "zip",
            "state",
            "primary_city",
            "lat",
            "lon",
            "population",
        )
    )


def segment_index(employees: np.ndarray) -> np.ndarray:
    """Position in SEGMENTS: 0 Enterprise, 1 Mid-Market, 2 SMB."""
    return np.where(employees > MID_MARKET_MAX_EMPLOYEES, 0, np.where(employees > SMB_MAX_EMPLOYEES, 1, 2))


def generated_accounts(rng: np.random.Generator, size: int, reserved_names: pl.Series) -> pl.DataFrame:
    """Made-up accounts placed on populated ZIPs in proportion to population."""
    places = populated_zips()
    weights = places["population"].to_numpy().astype(np.float64)
    place = places[rng.choice(places.height, size=size, p=weights / weights.sum())]
    shares = np.array([industry.share for industry in INDUSTRIES])
    industry_index = rng.choice(len(INDUSTRIES), size=size, p=shares / shares.sum())
    employees = np.clip(
        np.rint(rng.lognormal(np.log(EMPLOYEES_MEDIAN), EMPLOYEES_SIGMA, size)), 1, EMPLOYEES_MAX
    ).astype(np.int64)
    revenue_per_employee = np.array([industry.revenue_per_employee for industry in INDUSTRIES])[
        industry_index
    ]
    revenue = employees * revenue_per_employee * rng.lognormal(0.0, REVENUE_NOISE_SIGMA, size)
    names = generated_company_names(rng, industry_index, place["primary_city"], reserved_names)
    jitter = rng.normal(0.0, COORDINATE_JITTER_DEGREES, (2, size))
    named = (employees > MID_MARKET_MAX_EMPLOYEES) & (rng.random(size) < STRATEGIC_SHARE_OF_ENTERPRISE)
    return pl.DataFrame(
        {
            "name": names["name"],
            "website": names["website"],
            "industry": pl.Series(INDUSTRY_NAMES).gather(industry_index),
            "employees": employees,
            "annual_revenue": (np.rint(revenue / 1000) * 1000).astype(np.int64),
            "state": place["state"],
            "city": place["primary_city"],
            "postal_code": place["zip"],
            "latitude": np.round(place["lat"].to_numpy() + jitter[0], COORDINATE_DECIMALS),
            "longitude": np.round(place["lon"].to_numpy() + jitter[1], COORDINATE_DECIMALS),
            "strategic": named,
        }
    )


def chosen_fortune_accounts(rng: np.random.Generator, size: int) -> pl.DataFrame:
    """`size` of the Fortune 500 (all of them when size >= 500), at their real headquarters."""
    fortune = fortune500_accounts()
    if size < fortune.height:
        fortune = fortune[np.sort(rng.choice(fortune.height, size=size, replace=False))]
    return fortune.with_columns(strategic=pl.lit(True))


def owner_ids(
    rng: np.random.Generator, state: pl.Series, segment: np.ndarray, strategic: np.ndarray
) -> pl.Series:
    """The rep who owns each account today; null for about 5%.

    An ordinary account's owner is mostly one of the reps of its (state, segment) cell in the
    shared roster, which is where the plan generator draws pools from; a strategic account's is
    mostly a named-account rep.
    """
    # Cells are numbered state position * 3 + segment position; the roster lists each cell's
    # reps together in that order, so a cell is a run of roster rows.
    roster = rep_roster()
    states = us_states()["state"]

    def cell_of(state_column: pl.Series, segment_position: np.ndarray) -> np.ndarray:
        position = state_column.replace_strict(states, pl.int_range(states.len()), return_dtype=pl.Int64)
        return np.asarray(position.to_numpy() * len(SEGMENTS) + segment_position)

    roster_segment = roster["segment"].replace_strict(SEGMENTS, range(len(SEGMENTS)), return_dtype=pl.Int64)
    cell_sizes = np.bincount(
        cell_of(roster["state"], roster_segment.to_numpy()), minlength=states.len() * len(SEGMENTS)
    )
    cell_starts = np.concatenate(([0], np.cumsum(cell_sizes)[:-1]))

    def rep_in_cell(cells: np.ndarray) -> np.ndarray:
        within: np.ndarray = np.floor(rng.random(cells.size) * cell_sizes[cells]).astype(np.int64)
        return np.asarray(cell_starts[cells] + within)

    size = segment.size
    other_segment = (segment + rng.integers(1, len(SEGMENTS), size)) % len(SEGMENTS)
    own_rep = rep_in_cell(cell_of(state, segment))
    same_state_rep = rep_in_cell(cell_of(state, np.where(strategic, segment, other_segment)))
    named_rep = roster.height + rng.integers(0, len(NAMED_ACCOUNT_REPS), size)
    roll = rng.random(size)
    choice = np.where(
        roll < OWNER_IN_POOL_SHARE,
        np.where(strategic, named_rep, own_rep),
        np.where(roll < OWNER_IN_POOL_SHARE + OWNER_SAME_STATE_SHARE, same_state_rep, -1),
    )
    everyone = pl.concat([roster["rep_id"], pl.Series(NAMED_ACCOUNT_REPS)])
    owners = everyone.gather(np.maximum(choice, 0))
    return pl.select(pl.when(pl.lit(choice) >= 0).then(owners)).to_series().alias("owner_id")


def product_lists(rng: np.random.Generator, segment: np.ndarray, industry: pl.Series) -> pl.Series:
    """Semicolon-joined products each account owns, in catalogue order; "" when none."""
    adoption = np.array([PRODUCT_ADOPTION_BY_SEGMENT[name] for name in SEGMENTS])[segment]
    payments_heavy = industry.is_in(PAYMENTS_HEAVY_INDUSTRIES).to_numpy()
    draws = rng.random((len(PRODUCTS), segment.size))
    owned = []
    for product, draw in zip(PRODUCTS, draws, strict=True):
        appeal = np.full(segment.size, PRODUCT_APPEAL.get(product, PRODUCT_APPEAL_DEFAULT))
        if product == "payments":
            appeal = np.where(payments_heavy, appeal * 3, appeal)
        owned.append(pl.when(pl.lit(draw < adoption * appeal)).then(pl.lit(product)))
    # No products is a known empty list, "", not a null: rules like products LIKE '%security%'
    # must say FALSE for such an account, not UNKNOWN.
    return pl.select(pl.concat_str(owned, separator=";", ignore_nulls=True)).to_series().alias("products")


def created_dates(rng: np.random.Generator, strategic_from_list: np.ndarray) -> pl.Series:
    """When each account entered the CRM: recent years are busier; the Fortune 500 came first."""
    span = (LAST_CREATED - FIRST_CREATED).days
    fortune_span = (FORTUNE_LOADED_UNTIL - FIRST_CREATED).days
    draw = rng.random(strategic_from_list.size)
    offset = np.where(strategic_from_list, np.floor(draw * fortune_span), np.floor(np.sqrt(draw) * span))
    first = np.datetime64(FIRST_CREATED.isoformat(), "D")
    return pl.Series("created_date", first + offset.astype("timedelta64[D]"), dtype=pl.Date)


def generate_accounts(n: int, seed: int) -> pl.DataFrame:
    """`n` US accounts, the same for the same seed, sorted by account_id (see ACCOUNT_SCHEMA).

    min(n, 500) of them are the real Fortune 500 at their headquarters (strategic); the rest are
    made up and sit on populated ZIP codes in proportion to population.
    """
    if n < 0:
        raise ValueError(f"the number of accounts must be zero or more, not {n}")
    rng = np.random.default_rng(seed)
    fortune_size = min(n, FORTUNE_500_SIZE)
    fortune = chosen_fortune_accounts(rng, fortune_size)
    accounts = pl.concat(
        [fortune, generated_accounts(rng, n - fortune_size, fortune["name"])], how="vertical"
    )
    segment = segment_index(accounts["employees"].to_numpy())
    strategic = accounts["strategic"].to_numpy()
    from_fortune = np.arange(n) < fortune_size
    accounts = accounts.with_columns(
        segment=pl.Series(SEGMENTS).gather(segment),
        country=pl.lit(COUNTRY),
        owner_id=owner_ids(rng, accounts["state"], segment, strategic),
        products=product_lists(rng, segment, accounts["industry"]),
        created_date=created_dates(rng, from_fortune),
        # Shuffle so the Fortune 500 do not hold the first ids.
        order=rng.permutation(n),
    )
    digits = max(ACCOUNT_ID_DIGITS, len(str(n)))
    return (
        accounts.sort("order")
        .with_columns(
            account_id=pl.lit(ACCOUNT_ID_PREFIX) + (pl.int_range(1, n + 1).cast(pl.String).str.zfill(digits))
        )
        .select(ACCOUNT_SCHEMA.names())
        .cast(ACCOUNT_SCHEMA)
    )
