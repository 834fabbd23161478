"""What an import changes: new records, changed fields (old and new as text), and untouched ones."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from territorial.store.bulk import text_of

CREATED = "(created)"
_OLD = "__old"


@dataclass
class RecordDiff:
    upserts: pl.DataFrame  # rows to write: new records and changed ones, incoming columns only
    changes: pl.DataFrame  # record_id, field, old_value, new_value — one row per changed cell
    inserted: int
    updated: int
    unchanged: int


def diff_records(
    existing: pl.DataFrame, incoming: pl.DataFrame, id_field: str, fields: Sequence[str]
) -> RecordDiff:
    """Compare `incoming` with `existing` on `fields` (the columns the file carried).

    A field the file does not carry is left as it is; a NULL that the file carries clears it.
    Typed values are compared first, over every row at once; text for history is made only for
    the few rows that changed."""
    old = existing.select([id_field, *fields]).with_columns(pl.lit(True).alias("__stored"))
    joined = incoming.select([id_field, *fields]).join(old, on=id_field, how="left", suffix=_OLD)
    is_new = pl.col("__stored").is_null()
    differs = [pl.col(f).ne_missing(pl.col(f"{f}{_OLD}").cast(incoming.schema[f])) for f in fields]
    changed_any = pl.any_horizontal(differs) if differs else pl.lit(False)
    flagged = joined.with_columns(is_new.alias("__new"), (changed_any & ~is_new).alias("__changed"))
    new_ids = flagged.filter(pl.col("__new")).select(id_field)
    changed = flagged.filter(pl.col("__changed"))
    per_field = [
        changed.filter(pl.col(f).ne_missing(pl.col(f"{f}{_OLD}").cast(incoming.schema[f]))).select(
            pl.col(id_field).cast(pl.String).alias("record_id"),
            pl.lit(f).alias("field"),
            text_of(f"{f}{_OLD}", incoming.schema[f]).alias("old_value"),
            text_of(f, incoming.schema[f]).alias("new_value"),
        )
        for f in fields
    ]
    created = new_ids.select(
        pl.col(id_field).cast(pl.String).alias("record_id"),
        pl.lit(CREATED).alias("field"),
        pl.lit(None, pl.String).alias("old_value"),
        pl.lit(None, pl.String).alias("new_value"),
    )
    changes = pl.concat([created, *per_field]).sort(["record_id", "field"])
    write_ids = pl.concat([new_ids, changed.select(id_field)])
    return RecordDiff(
        upserts=incoming.join(write_ids, on=id_field, how="semi"),
        changes=changes,
        inserted=new_ids.height,
        updated=changed.height,
        unchanged=incoming.height - new_ids.height - changed.height,
    )
