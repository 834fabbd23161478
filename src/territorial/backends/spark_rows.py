"""Rows between polars, Arrow and Spark, and Spark's rows written as every engine writes them."""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa
from sqlglot import exp

from territorial.backends.job import ParquetOut
from territorial.backends.parquet_out import in_order, write_rows

if TYPE_CHECKING:
    from pyspark.sql import DataFrame


def plain_strings(table: pa.Table) -> pa.Table:
    """polars' large and view strings as Arrow's plain strings, which every Spark reads."""
    fields = [
        pa.field(f.name, pa.string())
        if pa.types.is_large_string(f.type) or pa.types.is_string_view(f.type)
        else f
        for f in table.schema
    ]
    return table.cast(pa.schema(fields))


def write_in_order(
    rows: DataFrame, out: ParquetOut, columns: Sequence[str], order: Sequence[str], empty: exp.Select
) -> None:
    """The `columns` of `rows`, sorted by `order`, written to `out`. Object storage is written by
    Spark itself. A local path is written as every engine writes it (one file, files or
    partitions): Spark writes the rows to a folder of its own, and DuckDB sorts them into place out
    of core (`empty`: the columns and types to write when Spark wrote no file)."""
    if out.uri is not None:
        ordered = rows.orderBy(*order).select(*columns)
        writer = (ordered.coalesce(1) if out.single_file else ordered).write.mode("overwrite")
        if out.partition_by:
            writer = writer.partitionBy(*out.partition_by)
        writer.parquet(out.uri)
        return
    import duckdb

    with tempfile.TemporaryDirectory(prefix="territorial-spark-") as work:
        folder = Path(work) / "rows"
        rows.write.parquet(str(folder))
        parts = sorted(str(p) for p in folder.glob("part-*.parquet"))
        with duckdb.connect() as connection:
            if parts:
                files = exp.Array(expressions=[exp.Literal.string(p) for p in parts])
                query = in_order(exp.func("read_parquet", files), order, columns)
            else:
                query = empty
            write_rows(connection, query, out)
