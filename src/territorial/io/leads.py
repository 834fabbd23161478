"""Read leads: a leads file, or one lead as an API client sends it, typed for the plan's rules."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

import polars as pl

from territorial.domain.entities import LEADS, Entity
from territorial.domain.fields import FieldType, canonical
from territorial.domain.leads import (
    DAMAGED_ID,
    damaged_id,
    lead_key,
    lead_keys,
    number_id,
    restore_number_ids,
    restored_id,
)
from territorial.errors import BadInput, Location, Problem
from territorial.io.accounts import type_accounts
from territorial.io.mapped_files import read_mapped
from territorial.io.tables import RawTable

LEAD_ID = "lead_id"


def lead_types(declared: Mapping[str, FieldType]) -> dict[str, FieldType]:
    """The lead schema's field types, with the plan's declared fields on top."""
    return {**LEADS.fields, **declared}


def read_leads(
    path: str | Path, declared: Mapping[str, FieldType], mapping: str | Path | None = None
) -> tuple[RawTable, pl.DataFrame, list[Problem]]:
    """The leads file as read (for the models) and typed under canonical names (for the plan's rules),
    and warnings (ids read back from a spreadsheet's numbers).
    With `mapping` (Salesforce's Id, Email, Company, CreatedDate...), as `import leads` reads it,
    keeping the columns import has no field for: a fit model trained with `score train --mapping`
    may read them."""
    raw = read_mapped(path, Entity.LEADS, mapping, keep_ignored=True)
    raw, warnings = _lead_ids(raw)
    try:
        book = type_accounts(raw, lead_types(declared), id_column=LEAD_ID)
    except BadInput as err:
        raise err.under_headers(raw.sources) from None
    if len(book) == 0:
        raise BadInput.at("the leads file has no rows", raw.file, 1 if raw.is_csv else None)
    typed = book.frame.rename({name: key for key, name in book.columns.items()})
    lead_fields = [key for key in book.columns if key != LEAD_ID]
    if not lead_fields:
        raise BadInput.at("a lead has no fields besides lead_id: nothing to route it by", raw.file, 1)
    return raw, typed, warnings


MAX_DAMAGED_SHOWN = 10  # a whole column damaged by a spreadsheet is said once per line, up to this


def _lead_ids(raw: RawTable) -> tuple[RawTable, list[Problem]]:
    """The file with its lead ids as kept (lead_ids), before the ids are checked for duplicates: a
    lead given by its 15- and its 18-character Id is one lead twice. An id a spreadsheet damaged is
    refused, line by line."""
    column = next((c for c in raw.frame.columns if canonical(c) == LEAD_ID), None)
    if column is None:
        return raw, []  # typing says the id column is missing
    subject = raw.sources.get(LEAD_ID, column)
    kept, warnings, damaged = lead_ids(raw.frame.get_column(column), raw.file, raw.line_of, subject)
    if damaged:
        raise BadInput(damaged[:MAX_DAMAGED_SHOWN], len(damaged))
    return replace(raw, frame=raw.frame.with_columns(kept.alias(column))), warnings


def lead_ids(
    ids: pl.Series, file: str, line_of: Callable[[int], int], subject: str
) -> tuple[pl.Series, list[Problem], list[Problem]]:
    """A file's lead ids as kept, the one reader of them (`route` and `import leads`): a Salesforce
    Lead Id in its 18-character form (lead_keys), an id a spreadsheet wrote as a number but whole
    read back, with a warning naming its line (number_id); and a problem for each id whose last
    digits a spreadsheet lost, which no CRM record can be matched to."""
    ids, restored = restore_number_ids(ids.cast(pl.String))
    warnings = [
        Problem(Location(file, line_of(row), None, subject), restored_id(was, now))
        for row, was, now in restored
    ]
    damaged = [
        Problem(Location(file, line_of(row), None, subject), damaged_id(str(text)))
        for row, text in enumerate(ids)
        if text is not None and DAMAGED_ID.match(text.strip())
    ]
    return lead_keys(ids), warnings, damaged


def typed_lead(lead: Mapping[str, Any], declared: Mapping[str, FieldType]) -> dict[str, Any]:
    """One lead's values under canonical names, typed as the plan and the lead schema declare.

    The in-process API takes values as an API client sends them: numbers as numbers (or plain number
    text), dates as dates or ISO text, booleans as booleans; blanks are NULL."""
    types = lead_types(declared)
    typed: dict[str, Any] = {}
    problems: list[Problem] = []
    for key, value in lead.items():
        name = canonical(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            typed[name] = None
            continue
        if name == LEAD_ID:
            text = str(value).strip()
            if DAMAGED_ID.match(text):
                # An API client sends what it read: a whole number is the id, a damaged one is not.
                whole = number_id(text)
                if whole is None:
                    problems.append(Problem(Location("lead", None, None, name), damaged_id(text)))
                text = whole or text
            typed[name] = lead_key(text)
            continue
        kind = types.get(name, FieldType.STRING)
        try:
            typed[name] = _as_type(value, kind)
        except (TypeError, ValueError):
            problems.append(
                Problem(Location("lead", None, None, name), f"expected {_EXPECTED[kind]}, got {value!r}")
            )
    if problems:
        raise BadInput(problems)
    return typed


_EXPECTED = {
    FieldType.STRING: "text",
    FieldType.NUMBER: "a number",
    FieldType.DATE: "a date (YYYY-MM-DD)",
    FieldType.BOOLEAN: "true or false",
}


def _as_type(value: object, kind: FieldType) -> object:
    if kind is FieldType.NUMBER:
        if isinstance(value, bool):
            raise TypeError(value)
        number = float(value) if isinstance(value, int | float | str) else float("nan")
        if not math.isfinite(number):
            raise ValueError(value)
        return number
    if kind is FieldType.DATE:
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        return date.fromisoformat(str(value).strip())
    if kind is FieldType.BOOLEAN:
        if isinstance(value, bool):
            return value
        lowered = str(value).strip().lower()
        if lowered not in ("true", "false"):
            raise ValueError(value)
        return lowered == "true"
    return str(value)
