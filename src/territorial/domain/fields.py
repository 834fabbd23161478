"""Field types of the account schema, and how field names are compared."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class FieldType(StrEnum):
    STRING = "string"
    NUMBER = "number"
    BOOLEAN = "boolean"
    DATE = "date"


# A plain number as data writes it: 12, -3.5, .5, 1e6 (no thousands separators or currency).
NUMBER_TEXT = r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$"
# How a number such as "1,500" or "$1,200" is named when it makes a column text (io.accounts says
# why a column is text; engine.checks then advises --mapping rather than null_words).
FORMATTED_NUMBER = "thousands separator or currency sign"

ACCOUNT_ID = "account_id"
OWNER_ID = "owner_id"


def canonical(name: str) -> str:
    """Field names are case-insensitive; this is the one spelling the engine uses."""
    return name.strip().lower()


# What CRM exports and spreadsheets put in cells that have no value. In number, date and boolean
# columns they are empty by default (a number column with N/A in it stays a number column); in text
# columns only the words a plan lists under null_words: are, since NA is Namibia and - can be a value.
DEFAULT_NULL_WORDS = ("N/A", "#N/A", "null", "-", "Select")


@dataclass(frozen=True)
class NullWords:
    """Cell values read as empty: `words` in every column but ids, and DEFAULT_NULL_WORDS in
    number, date and boolean columns unless `default` is off. Compared ignoring case."""

    words: tuple[str, ...] = ()
    default: bool = True

    def typed(self) -> list[str]:
        """The words that are empty in a number, date or boolean column, lowercased."""
        return [w.lower() for w in (*self.words, *(DEFAULT_NULL_WORDS if self.default else ()))]

    def text(self) -> list[str]:
        """The words that are empty in a text column, lowercased."""
        return [w.lower() for w in self.words]


DEFAULT_NULLS = NullWords()  # no words of the plan's own, the default list on
