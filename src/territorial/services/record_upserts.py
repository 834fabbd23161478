"""One record sent by the API, upserted as a one-row import: the same checks, history,
re-evaluation, audit and notifications as `territorial import`, so there is one way to change a record."""

from __future__ import annotations

import csv
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

from territorial.domain.entities import SCHEMAS, Entity
from territorial.errors import BadInput, Location, Problem
from territorial.services.context import Context
from territorial.services.imports import ImportReport, import_records
from territorial.services.permissions import may_import
from territorial.services.unit_of_work import WorkspaceStore

BODY = "body"  # where a problem with a sent record sits, for the API's problem details


def _cell(value: Any) -> str:
    """A value as an export's cell holds it: the import reads it back to the same value."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def upsert_record(
    workspace: WorkspaceStore,
    ctx: Context,
    entity: Entity,
    fields: Mapping[str, Any],
    custom: Mapping[str, Any] | None = None,
) -> ImportReport:
    """Insert or update one record from its fields and an account's custom fields; a field left out
    keeps its stored value, a null clears it."""
    may_import(ctx.principal, entity)
    schema = SCHEMAS[entity]
    if not str(fields.get(schema.id_field) or "").strip():
        needed = f"a record of {entity.value} needs its {schema.id_field}"
        raise BadInput.at(needed, f"{BODY}.{schema.id_field}")
    for name in custom or {}:
        if name in schema.fields or name in fields:
            raise BadInput.at(
                f"{name!r} is a field of {entity.value}, not a custom field: send it as a field",
                f"{BODY}.custom.{name}",
            )
    record = {**fields, **(custom or {})}
    with TemporaryDirectory(prefix="territorial-upsert-") as folder:
        path = Path(folder) / f"{entity.value}.csv"
        with path.open("w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(list(record))
            writer.writerow([_cell(value) for value in record.values()])
        try:
            # The fields are named for this entity: the check for another entity's export is moot.
            return import_records(workspace, ctx, entity, path, force=True)
        except BadInput as error:
            raise in_body(error, path, list(record)) from None


def in_body(
    error: BadInput, file: Path, fields: list[str] | None = None, field: str | None = None
) -> BadInput:
    """The problems an import or a plan check found in `file`, a request's body written out, as
    problems of that body: for one record, at the field each is about; else at `field`, with the
    line and column in the message. Problems elsewhere (a stale version, a refusal) stay as they are."""
    moved = []
    for problem in error.problems:
        where = problem.location
        if where.file != str(file):
            moved.append(problem)
            continue
        named, column, message = field, where.column, problem.message
        if fields is not None:
            named = where.subject
            if named is None and column is not None and 0 < column <= len(fields):
                named = fields[column - 1]
        elif where.line is not None:
            message = f"line {where.line}{f', column {column}' if column is not None else ''}: {message}"
        at = Location(f"{BODY}.{named}" if named else BODY, None, None, where.subject)
        moved.append(Problem(at, message))
    return type(error)(moved, error.total)
