"""Where each account of a book is: its county and its coordinates, for the review's county map and
the web map."""

from __future__ import annotations

import numpy as np
import polars as pl

from territorial.domain.book import AccountBook
from territorial.domain.fields import ACCOUNT_ID
from territorial.io.balance_inputs import coordinates, county_codes

PLACE_TYPES: dict[str, pl.DataType] = {
    ACCOUNT_ID: pl.String(),
    "county": pl.String(),
    "lat": pl.Float64(),
    "lon": pl.Float64(),
}


def account_places(book: AccountBook) -> pl.DataFrame:
    """account_id, county (5-digit FIPS, None where unknown), lat and lon (None where not located:
    no coordinates, no known ZIP, no known city and state), in the book's order."""
    located, _is_lat_lon = coordinates(book, allow_xy=False, required=False)
    return pl.DataFrame(
        {
            ACCOUNT_ID: book.frame.get_column(book.columns[ACCOUNT_ID]).cast(pl.String),
            "county": pl.Series(county_codes(book), dtype=pl.String),
            "lat": np.asarray(located.lat, dtype=np.float64),
            "lon": np.asarray(located.lon, dtype=np.float64),
        },
        schema=PLACE_TYPES,
    ).with_columns(pl.col("lat").fill_nan(None), pl.col("lon").fill_nan(None))
