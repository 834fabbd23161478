"""Use case: what importing a file would do, shown before anything is written: how its columns map to
fields, what normalisation changes, and the rows that would stop the import."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from territorial.domain.entities import Entity
from territorial.errors import BadInput
from territorial.services.context import Context
from territorial.services.imports import prepare_import
from territorial.services.permissions import may_import

# Rows of each preview table shown; the CSV of a table holds every row.
PREVIEW_ROWS = 200
SAMPLE_ROWS = 10  # the first rows as they would be stored
MAPPING_COLUMNS = ["file_column", "field"]
CHANGE_COLUMNS = ["line", "file_column", "before", "after", "rule"]
PROBLEM_COLUMNS = ["line", "file_column", "value", "expected"]


@dataclass(frozen=True)
class ImportPreview:
    entity: Entity
    rows: int
    mapping: list[dict[str, Any]]  # MAPPING_COLUMNS, in field order
    ignored: tuple[str, ...]  # file columns the mapping passes over
    changes: list[dict[str, Any]]  # CHANGE_COLUMNS: each normalised cell
    problems: list[dict[str, Any]]  # PROBLEM_COLUMNS: each value that stops the import
    bad_rows: int
    sample: list[dict[str, Any]]  # the first rows, normalised, by field
    fields: list[str]

    @property
    def importable(self) -> bool:
        return self.rows > 0 and not self.problems


def preview_import(ctx: Context, entity: Entity, path: str | Path, mapping: str | None) -> ImportPreview:
    """The file mapped, normalised and checked as `import_records` does, with nothing written. A file
    that cannot be read at all (another entity's export, no id column) is bad input, as for the import."""
    may_import(ctx.principal, entity)
    mapped, normalized, problems, _restored = prepare_import(entity, path, mapping)
    source = mapped.sources

    def file_column(column: str) -> str:
        return source.get(column, column)

    changes = [
        {
            "line": mapped.line_of(row),
            "file_column": file_column(column),
            "before": old,
            "after": new,
            "rule": rule,
        }
        for row, column, old, new, rule in normalized.changes.select("row", "column", "old", "new", "rule")
        .sort("row", maintain_order=True)
        .iter_rows()
    ]
    found = [
        {
            "line": mapped.line_of(row),
            "file_column": file_column(column),
            "value": value,
            "expected": expected,
        }
        for row, column, value, expected in problems.iter_rows()
    ]
    fields = list(normalized.frame.columns)
    sample = normalized.frame.head(SAMPLE_ROWS).with_columns(pl.all().cast(pl.String)).to_dicts()
    return ImportPreview(
        entity=entity,
        rows=normalized.frame.height,
        mapping=[{"file_column": file_column(name), "field": name} for name in fields],
        ignored=mapped.ignored,
        changes=changes,
        problems=found,
        bad_rows=problems.get_column("row").n_unique(),
        sample=sample,
        fields=fields,
    )


def importable_entity(text: str) -> Entity:
    """The entity a form names, or bad input at its field."""
    allowed = {e.value: e for e in (Entity.ACCOUNTS, Entity.REPS, Entity.OPPORTUNITIES, Entity.LEADS)}
    if text not in allowed:
        raise BadInput.at(f"expected one of {', '.join(allowed)}, got {text!r}", "entity")
    return allowed[text]
