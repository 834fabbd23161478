"""Field types of the account schema, and how field names are compared."""

from __future__ import annotations

from enum import StrEnum


class FieldType(StrEnum):
    STRING = "string"
    NUMBER = "number"
    BOOLEAN = "boolean"
    DATE = "date"


# A plain number as data writes it: 12, -3.5, .5, 1e6 (no thousands separators or currency).
NUMBER_TEXT = r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$"

ACCOUNT_ID = "account_id"
OWNER_ID = "owner_id"


def canonical(name: str) -> str:
    """Field names are case-insensitive; this is the one spelling the engine uses."""
    return name.strip().lower()
