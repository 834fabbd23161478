"""What an import changes: new records, changed fields (old and new as text), and untouched ones."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

CREATED = "(created)"


@dataclass
class RecordDiff:
    upserts: pl.DataFrame  # rows to write: new records and changed ones, incoming columns only
    changes: pl.DataFrame  # record_id, field, old_value, new_value — one row per changed cell
    inserted: int
    updated: int
    unchanged: int


def as_text(column: str, dtype: pl.DataType) -> pl.Expr:
    """A value as history shows it: 1200 rather than 1200.0, dates as YYYY-MM-DD, true/false."""
    expr = pl.col(column)
    if dtype.is_float():
        whole = expr.is_not_null() & (expr == expr.round(0)) & (expr.abs() < 2**53)
        return pl.when(whole).then(expr.cast(pl.Int64).cast(pl.String)).otherwise(expr.cast(pl.String))
    if dtype == pl.Boolean:
        return pl.when(expr).then(pl.lit("true")).when(expr.not_()).then(pl.lit("false"))
    return expr.cast(pl.String)


def diff_records(
    existing: pl.DataFrame, incoming: pl.DataFrame, id_field: str, fields: Sequence[str]
) -> RecordDiff:
    """Compare `incoming` with `existing` on `fields` (the columns the file carried).

    A field the file does not carry is left as it is; a NULL that the file carries clears it."""
    incoming_ids = incoming.select(id_field)
    old = existing.select([id_field, *fields]).join(incoming_ids, on=id_field, how="semi")
    joined = incoming.select([id_field, *fields]).join(old, on=id_field, how="left", suffix="__old")
    is_new = ~pl.col(id_field).is_in(old.get_column(id_field).implode())
    texts = []
    for name in fields:
        dtype = incoming.schema[name]
        new_text = as_text(name, dtype)
        old_text = as_text(f"{name}__old", joined.schema.get(f"{name}__old", dtype))
        texts.append(
            pl.when(new_text.ne_missing(old_text) & ~is_new)
            .then(
                pl.struct(
                    pl.lit(name).alias("field"), old_text.alias("old_value"), new_text.alias("new_value")
                )
            )
            .alias(f"__change_{name}")
        )
    with_changes = (
        joined.with_columns(is_new.alias("__new"), *texts)
        if fields
        else joined.with_columns(is_new.alias("__new"))
    )
    change_columns = [f"__change_{name}" for name in fields]
    changes = (
        with_changes.select(pl.col(id_field).alias("record_id"), pl.concat_list(change_columns).alias("c"))
        .explode("c")
        .drop_nulls("c")
        .unnest("c")
        if fields
        else pl.DataFrame(
            schema={
                "record_id": pl.String,
                "field": pl.String,
                "old_value": pl.String,
                "new_value": pl.String,
            }
        )
    )
    changed_ids = changes.select(pl.col("record_id").alias(id_field)).unique()
    new_rows = with_changes.filter(pl.col("__new")).select(id_field)
    created = new_rows.select(
        pl.col(id_field).alias("record_id"),
        pl.lit(CREATED).alias("field"),
        pl.lit(None, pl.String).alias("old_value"),
        pl.lit(None, pl.String).alias("new_value"),
    )
    write_ids = pl.concat([new_rows, changed_ids])
    upserts = incoming.join(write_ids, on=id_field, how="semi")
    return RecordDiff(
        upserts=upserts,
        changes=pl.concat([created, changes.select(created.columns)]).sort(["record_id", "field"]),
        inserted=new_rows.height,
        updated=changed_ids.height,
        unchanged=incoming.height - new_rows.height - changed_ids.height,
    )
