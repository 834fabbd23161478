"""A file as a command reads it with `--mapping`: its columns renamed to the entity's fields, as
`import` names them, and its values normalised as `import` normalises them, so that a file given
straight to `assign`, `balance` or `route` reads as the same file imported would."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace
from pathlib import Path

import polars as pl

from territorial.domain.entities import SCHEMAS, Entity
from territorial.domain.fields import FieldType, canonical
from territorial.domain.normalize import normalize
from territorial.io.crm_mappings import apply_mapping, field_name, file_mapping
from territorial.io.tables import RawTable, read_table


def read_mapped(
    path: str | Path,
    entity: Entity,
    mapping: str | Path | None,
    columns: Collection[str] | None = None,
    keep_ignored: bool = False,
) -> RawTable:
    """The table under the entity's field names (all of them text, as a CSV's cells are); without a
    mapping for this entity, the file as it is (`columns`: only those). With `keep_ignored`, the
    columns a built-in mapping passes over (a Lead's IsConverted, Title, Rating) stay too, under
    their field names: a model learns from them, where `import` has no field to keep them in."""
    chosen = file_mapping(mapping, entity)
    if chosen is None:
        return read_table(path, columns)
    if keep_ignored:
        chosen = replace(chosen, ignore=frozenset())
    mapped = apply_mapping(read_table(path), chosen, keep_others=True)
    types = {name: SCHEMAS[entity].fields.get(name, FieldType.STRING) for name in mapped.frame.columns}
    normalized = normalize(mapped.frame, types, file=mapped.file, row_lines=mapped.line_of)
    normalized.problem_log().raise_if_any()
    # Back to text: the command types its columns itself (its plan's fields: declarations).
    frame = normalized.frame.select(pl.all().cast(pl.String))
    if columns is not None:
        wanted = {c.lower() for c in columns}
        frame = frame.select([c for c in frame.columns if c in wanted])
    # The header stays the file's: it finds the physical line of a row.
    return replace(mapped.raw, frame=frame)


def mapped_column(column: str, entity: Entity, mapping: str | Path | None) -> str:
    """The name a file's column has once read with `--mapping` (read_mapped): the field a mapping
    gives it (Salesforce's CreatedDate is `created`), else its own as a field name (IsConverted is
    `isconverted`); without a mapping for this entity, the column as named."""
    chosen = file_mapping(mapping, entity)
    if chosen is None:
        return column
    key = canonical(column)
    for rule in chosen.rules:
        if key in (canonical(header) for header in rule.headers):
            return rule.field
    return field_name(column)
