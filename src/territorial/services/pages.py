"""Cursor pagination: rows sorted by their key, a page after the cursor, and the cursor of the
next page. A cursor is opaque to its reader and stable under inserts elsewhere in the list."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import polars as pl

from territorial.errors import BadInput

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
KEY = "_key"


@dataclass(frozen=True)
class Page:
    rows: list[dict[str, Any]]
    next_cursor: str | None  # None: this is the last page


def cursor_after(key: str) -> str:
    return base64.urlsafe_b64encode(json.dumps({"after": key}).encode()).decode().rstrip("=")


def key_of(cursor: str) -> str:
    """The key a cursor continues after, or an error naming the cursor parameter."""
    try:
        decoded = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        after = decoded["after"]
        if not isinstance(after, str):
            raise TypeError
        return after
    except (binascii.Error, ValueError, KeyError, TypeError, UnicodeDecodeError):
        raise BadInput.at(
            "not a cursor this service gave; pass the next_cursor of the previous page", "cursor"
        ) from None


def check_limit(limit: int) -> None:
    if not 1 <= limit <= MAX_LIMIT:
        raise BadInput.at(f"expected a limit from 1 to {MAX_LIMIT}, got {limit}", "limit")


def page_of(frame: pl.DataFrame, key: str | pl.Expr, cursor: str | None, limit: int) -> Page:
    """The rows after the cursor, `limit` of them, sorted by `key` (a column or an expression
    giving each row a unique text), and the next page's cursor."""
    check_limit(limit)
    keyed = frame.with_columns((pl.col(key) if isinstance(key, str) else key).alias(KEY)).sort(KEY)
    if cursor is not None:
        keyed = keyed.filter(pl.col(KEY) > key_of(cursor))
    taken = keyed.head(limit)
    more = keyed.height > limit
    next_cursor = cursor_after(taken.get_column(KEY)[-1]) if more else None
    return Page(taken.drop(KEY).to_dicts(), next_cursor)


def page_of_rows(
    rows: list[dict[str, Any]], key: Callable[[dict[str, Any]], str], cursor: str | None, limit: int
) -> Page:
    """page_of for rows already in memory, `key` giving each row its unique, sortable text."""
    check_limit(limit)
    ordered = sorted(rows, key=key)
    if cursor is not None:
        after = key_of(cursor)
        ordered = [row for row in ordered if key(row) > after]
    taken = ordered[:limit]
    return Page(taken, cursor_after(key(taken[-1])) if len(ordered) > limit else None)


def numbered(value: int) -> str:
    """An integer id as a key that sorts as the number does."""
    return f"{value:020d}"
