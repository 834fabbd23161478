"""Accounts read from Parquet and typed as `assign --accounts` types them, for every back end: the
local engine types the whole table, the others only each distinct combination of values."""

from __future__ import annotations

from collections.abc import Collection

import polars as pl

from territorial.domain.book import AccountBook
from territorial.domain.fields import ACCOUNT_ID, OWNER_ID, canonical
from territorial.domain.normalize import COUNTRY, is_postal_code
from territorial.domain.plan import Plan
from territorial.engine.checks import check_plan, schema_from_plan
from territorial.engine.compiled import CompiledPlan
from territorial.errors import Problem
from territorial.io.accounts import type_accounts
from territorial.io.tables import RawTable


def plan_reads(plan: Plan) -> set[str]:
    """Canonical names of the fields a run reads: its rules', its workload's, the ids and owner."""
    needed = set(CompiledPlan(plan).fields) | {ACCOUNT_ID, OWNER_ID}
    if plan.workload:
        needed.add(plan.workload)
    if any(is_postal_code(name) for name in needed):
        needed.add(COUNTRY)  # a postal code is read by its country's rules
    return needed


def wanted_columns(header: Collection[str], fields: Collection[str]) -> list[str]:
    """The file's columns (as spelt in the file) for canonical `fields`, in file order."""
    return [name for name in header if canonical(name) in fields]


def typed_book(raw: RawTable, plan: Plan) -> AccountBook:
    """The raw table typed against the plan's declared fields; a column without any value takes
    the type its rules use (as `assign` types it)."""
    book = type_accounts(raw, plan.fields, null_words=plan.null_words)
    used_types, _notes = schema_from_plan(plan)
    for key in book.without_values() - set(plan.fields):
        if key in used_types:
            book = book.retype(key, used_types[key])
    return book


def plan_warnings(plan: Plan, book: AccountBook) -> list[Problem]:
    """check_plan against the book's fields (raising BadInput for rules that do not fit)."""
    return book.notes + check_plan(plan, book.schema, book.field_names, book.read_as_text)


def keys_as_raw(frame: pl.DataFrame, file: str, header: list[str]) -> RawTable:
    """Distinct combinations of a file's values as a table the account reader types: each
    combination given an id of its own when the ids are not among the columns."""
    if not any(canonical(c) == ACCOUNT_ID for c in frame.columns):
        frame = frame.with_columns(pl.int_range(pl.len()).cast(pl.String).alias(ACCOUNT_ID))
    return RawTable(frame, file, is_csv=False, header=header)
