"""An account book: typed columns under the names the data gave them, the schema by field, and a
way back to where each row came from. io builds books; the domain reads no file."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import polars as pl

from territorial.domain.fields import FieldType, canonical
from territorial.errors import Problem
from territorial.rules.to_polars import POLARS_TYPES


def _no_line(_row: int) -> int | None:
    return None


@dataclass(frozen=True)
class AccountBook:
    """Accounts (or units, or reps) with typed columns, plus the schema by canonical name."""

    frame: pl.DataFrame
    schema: dict[str, FieldType]
    columns: dict[str, str]  # canonical name -> column name in the data
    file: str
    header: list[str] = field(default_factory=list)  # every column of the file, loaded or not
    locate: Callable[[int], int | None] = _no_line  # a 0-based row's line (or row) in the file
    header_line: int | None = None  # where the header is, for problems with a column: 1 for a CSV
    # Null words read as empty, by column (warnings to show), and why a column of mostly numbers
    # was read as text ("'N/A' on line 3"), for a rule that compares it with a number.
    notes: list[Problem] = field(default_factory=list)
    read_as_text: dict[str, str] = field(default_factory=dict)

    def line_of(self, row: int) -> int | None:
        return self.locate(row)

    def take(self, rows: Sequence[int] | np.ndarray) -> AccountBook:
        """The book's `rows`, in that order, each still named by its own line."""
        kept = [int(r) for r in rows]
        return replace(self, frame=self.frame[kept], locate=lambda row: self.locate(kept[row]))

    def without_values(self) -> set[str]:
        """Canonical names of columns with no value at all: their type cannot be inferred."""
        return {
            key for key, name in self.columns.items() if self.frame.get_column(name).null_count() == len(self)
        }

    def retype(self, key: str, ftype: FieldType) -> AccountBook:
        """The book with a column without values given the type its use calls for."""
        name = self.columns[key]
        frame = self.frame.with_columns(pl.col(name).cast(POLARS_TYPES[ftype]))
        return replace(self, frame=frame, schema={**self.schema, key: ftype})

    @property
    def field_names(self) -> list[str]:
        """Canonical names of every column in the file, loaded or not (for "did you mean")."""
        return [canonical(c) for c in self.header] or list(self.schema)

    def __len__(self) -> int:
        return self.frame.height
