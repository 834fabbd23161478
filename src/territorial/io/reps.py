"""Read a reps file, the same way for every command: rep_id (required) and any of name, email,
active, latitude and longitude (or lat and lon, or home_postal_code; x and y for units on a plane),
capacity, skills, lead_weight, daily_lead_cap, monthly_lead_cap and manager_id."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from territorial.domain.entities import Entity
from territorial.domain.fields import FieldType, canonical
from territorial.domain.reps import OWNER_IDENTITIES, Rep, reps_from_records
from territorial.errors import Location
from territorial.io.accounts import type_accounts
from territorial.io.mapped_files import read_mapped

REP_TYPES = {
    "active": FieldType.STRING,  # yes/no as well as true/false: read by the rep itself
    "capacity": FieldType.NUMBER,
    "lead_weight": FieldType.NUMBER,
    "daily_lead_cap": FieldType.NUMBER,
    "monthly_lead_cap": FieldType.NUMBER,
    "skills": FieldType.STRING,
    "home_postal_code": FieldType.STRING,
    "manager_id": FieldType.STRING,
    "latitude": FieldType.NUMBER,
    "longitude": FieldType.NUMBER,
    "lat": FieldType.NUMBER,
    "lon": FieldType.NUMBER,
    "x": FieldType.NUMBER,
    "y": FieldType.NUMBER,
}


def read_reps(path: str | Path, mapping: str | Path | None = None) -> list[Rep]:
    """With `mapping`, the file is read as `import reps` maps and normalises it."""
    raw = read_mapped(path, Entity.REPS, mapping)
    # The account reader's typing rules (blank is NULL, a unique id, located errors) apply here too.
    book = type_accounts(raw, REP_TYPES, id_column="rep_id")
    frame = book.frame.rename({v: k for k, v in book.columns.items()})

    def where(row: int, field: str) -> Location:
        return Location(raw.file, raw.line_of(row), None, book.columns.get(field, field) if field else None)

    return reps_from_records(frame.to_dicts(), where)


def rep_identities(path: str | Path, mapping: str | Path | None = None) -> pl.DataFrame:
    """What a reps file names each rep by, as text: rep_id and those of name, email, crm_user_id and
    crm_owner_id it has (a lead's CRM owner may be any of them)."""
    raw = read_mapped(path, Entity.REPS, mapping)
    by_key = {canonical(column): column for column in raw.frame.columns}
    wanted = [key for key in ("rep_id", *OWNER_IDENTITIES) if key in by_key]
    return raw.frame.select(pl.col(by_key[key]).cast(pl.String).alias(key) for key in wanted)
