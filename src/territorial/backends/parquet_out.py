"""Writing a run's rows to Parquet, the same way for every engine: one file, a folder of files in
account_id order, or hive partitions."""

from __future__ import annotations

import shutil
from collections.abc import Sequence

import duckdb
import polars as pl
from sqlglot import exp

from territorial.backends.job import ParquetOut
from territorial.errors import BadInput

# A folder output starts a new file past this size: a few files of 10 million rows, each readable alone.
FILE_SIZE = "256MB"


def write_rows(connection: duckdb.DuckDBPyConnection, query: exp.Query, out: ParquetOut) -> None:
    """COPY the rows `query` selects (in order) to `out`. A folder is replaced as a whole, so that
    no file of an earlier run is left among the new ones."""
    params = [_param("FORMAT", exp.var("parquet"))]
    if out.partition_by:
        columns = [exp.column(name) for name in out.partition_by]
        params.append(_param("PARTITION_BY", exp.Tuple(expressions=columns)))
        _fresh_folder(out)
    elif not out.single_file:
        params.append(_param("FILE_SIZE_BYTES", exp.Literal.string(FILE_SIZE)))
        params.append(_param("FILENAME_PATTERN", exp.Literal.string("part-{i}")))
        _fresh_folder(out)
    elif out.path.is_dir():
        raise BadInput.at(
            "is a folder: give a .parquet file, or a folder without --single-file", str(out.path)
        )
    else:
        out.path.parent.mkdir(parents=True, exist_ok=True)
    copy = exp.Copy(
        this=exp.Subquery(this=query),
        kind=False,
        files=[exp.Literal.string(str(out.path))],
        params=params,
    )
    connection.execute(copy.sql(dialect="duckdb"))


def write_frame(frame: pl.DataFrame, out: ParquetOut, order: Sequence[str] = ()) -> None:
    """A frame in memory written to `out` as every engine writes its rows (sorted by `order`)."""
    with duckdb.connect() as connection:
        connection.register("frame", frame)
        source = exp.to_table("frame")
        write_rows(connection, in_order(source, order) if order else exp.select("*").from_(source), out)


def in_order(source: exp.Expr, order: Sequence[str], columns: Sequence[str] = ()) -> exp.Select:
    """The `columns` of `source` (all of them when none are named), sorted by the `order` columns
    (DuckDB's order: NULL last)."""
    selected: list[exp.Expr] = [exp.column(c, quoted=True) for c in columns] or [exp.Star()]
    return exp.select(*selected).from_(source).order_by(*(exp.column(c, quoted=True) for c in order))


def _param(name: str, value: exp.Expr) -> exp.CopyParameter:
    return exp.CopyParameter(this=exp.var(name), expression=value)


def _fresh_folder(out: ParquetOut) -> None:
    if out.path.is_file():
        raise BadInput.at(
            "is a file: --partition-by, or leaving out --single-file, writes a folder", str(out.path)
        )
    if out.path.exists():
        # An earlier run's output is replaced; a folder holding anything else is not ours to empty.
        other = next((p for p in out.path.rglob("*") if p.is_file() and p.suffix != ".parquet"), None)
        if other is not None:
            raise BadInput.at(
                f"the output folder holds files other than Parquet ({other.name})", str(out.path)
            )
        shutil.rmtree(out.path)
    out.path.mkdir(parents=True)
