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
from territorial.errors import BadInput
from territorial.io.crm_mappings import (
    ColumnMapping,
    apply_mapping,
    crm_export_hint,
    field_name,
    file_mapping,
    load_mapping,
)
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
    columns a built-in mapping passes over (a Lead's Title, Rating, Status) stay too, under
    their field names: a model learns from them, where `import` has no field to keep them in."""
    chosen = file_mapping(mapping, entity)
    if chosen is None:
        raw = read_table(path, columns)
        if mapping is not None:
            _check_id_without_mapping(raw, entity, load_mapping(mapping))
        return raw
    if keep_ignored:
        chosen = replace(chosen, ignore=frozenset())
    mapped = apply_mapping(read_table(path), chosen, keep_others=True)
    types = {name: SCHEMAS[entity].fields.get(name, FieldType.STRING) for name in mapped.frame.columns}
    normalized = normalize(mapped.frame, types, file=mapped.file, row_lines=mapped.line_of)
    try:
        normalized.problem_log().raise_if_any()
    except BadInput as err:
        raise err.under_headers(mapped.sources) from None
    # Back to text: the command types its columns itself (its plan's fields: declarations).
    frame = normalized.frame.select(pl.all().cast(pl.String))
    if columns is not None:
        wanted = {c.lower() for c in columns}
        frame = frame.select([c for c in frame.columns if c in wanted])
    # The header stays the file's: it finds the physical line of a row.
    return replace(mapped.raw, frame=frame, sources=mapped.sources)


def mapped_column(column: str, entity: Entity, mapping: str | Path | None) -> str:
    """The name a file's column has once read with `--mapping` (read_mapped): the field a mapping
    gives it (Salesforce's CreatedDate is `created`), else its own as a field name (Rating is
    `rating`); without a mapping for this entity, the column as named."""
    chosen = file_mapping(mapping, entity)
    if chosen is None:
        return column
    return _mapped_field(column, chosen) or field_name(column)


def _mapped_field(column: str, chosen: ColumnMapping) -> str | None:
    """The field `chosen` maps the column to, or None when it names no such column."""
    key = canonical(column)
    return next((rule.field for rule in chosen.rules if key in map(canonical, rule.headers)), None)


# The CRMs whose exports a column is recognised from when a file was read without --mapping.
BUILTIN_CRMS = ("hubspot", "salesforce")


def field_of(column: str, entity: Entity, mapping: str | Path | None) -> str:
    """The field a column of a file holds, whatever header set the file has: the field `mapping`
    gives it (mapped_column), else the field of a built-in CRM mapping whose export names it so
    (HubSpot's Create Date and Salesforce's CreatedDate are both `created`), else its own name as a
    field. A model stores these, so that a file under the other header set finds its columns."""
    if file_mapping(mapping, entity) is not None:
        return mapped_column(column, entity, mapping)
    for crm in BUILTIN_CRMS:
        chosen = file_mapping(crm, entity)
        field = None if chosen is None else _mapped_field(column, chosen)
        if field is not None:
            return field
    return field_name(column)


def _check_id_without_mapping(raw: RawTable, entity: Entity, other: ColumnMapping) -> None:
    """A mapping file for another entity leaves this file under its own column names (a command's
    one --mapping file maps only the files of its entity); when that leaves no id column, the
    mapping is the likely mistake, so name it rather than the missing column alone."""
    id_field = SCHEMAS[entity].id_field
    if id_field in {canonical(name) for name in raw.header}:
        return
    raise BadInput.at(
        f"the required column {id_field} is missing: this {entity.value} file was read with its own "
        f"column names, because the mapping file {other.file} maps {other.entity.value} "
        f"(entity: {other.entity.value}), not {entity.value}; give a mapping file with entity: "
        f"{entity.value}{crm_export_hint(raw.header, entity)}",
        raw.file,
        1 if raw.is_csv else None,
    )
