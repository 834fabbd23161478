"""Moving whole polars frames in and out of the database fast: COPY on PostgreSQL, executemany on SQLite."""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

import polars as pl
from sqlalchemy import Connection, Table

# Rows per executemany batch on SQLite: large enough to amortise, small enough to stream.
SQLITE_BATCH = 50_000


def read_frame(
    connection: Connection, table: Table, schema: dict[str, pl.DataType], where: str = ""
) -> pl.DataFrame:
    """Every row of `table` (optionally filtered by a SQL `where` text) with the given column types."""
    columns = list(schema)
    select = f"SELECT {', '.join(_quote(c) for c in columns)} FROM {_quote(table.name)} {where}"
    if connection.dialect.name == "postgresql":
        raw = _driver(connection)
        buffer = io.BytesIO()
        with (
            raw.cursor() as cursor,
            cursor.copy(f"COPY ({select}) TO STDOUT WITH (FORMAT csv, HEADER true)") as copy,
        ):
            for block in copy:
                buffer.write(block)
        buffer.seek(0)
        frame = pl.read_csv(buffer, schema_overrides=dict.fromkeys(columns, pl.String), infer_schema=False)
        if frame.width == 0:
            frame = pl.DataFrame(schema={c: pl.String for c in columns})
        return frame.with_columns(_from_text(name, dtype) for name, dtype in schema.items())
    cursor = _driver(connection).execute(select)
    rows = cursor.fetchall()
    text_schema = {c: (pl.String() if _is_temporal(schema[c]) else schema[c]) for c in columns}
    frame = pl.DataFrame(rows, schema=text_schema, orient="row")
    return frame.with_columns(
        _from_text(name, dtype) for name, dtype in schema.items() if _is_temporal(dtype)
    )


def _is_temporal(dtype: pl.DataType) -> bool:
    return dtype == pl.Date or isinstance(dtype, pl.Datetime)


def _from_text(name: str, dtype: pl.DataType) -> pl.Expr:
    column = pl.col(name)
    if dtype == pl.Boolean:
        truth = column.str.to_lowercase().is_in(["t", "true", "1"])
        return pl.when(column.is_null()).then(None).otherwise(truth).alias(name)
    if dtype == pl.Date:
        return column.str.slice(0, 10).str.to_date("%Y-%m-%d").alias(name)
    if isinstance(dtype, pl.Datetime):
        return column.str.to_datetime(strict=False).alias(name)
    return column.cast(dtype).alias(name)


def insert_frame(connection: Connection, table: Table, frame: pl.DataFrame) -> None:
    """Append every row of `frame` (columns named as the table's) to `table`."""
    if frame.height == 0:
        return
    if connection.dialect.name == "postgresql":
        _copy_in(connection, table.name, frame)
        return
    names = ", ".join(_quote(c) for c in frame.columns)
    sql = f"INSERT INTO {_quote(table.name)} ({names}) VALUES ({', '.join('?' * frame.width)})"
    _sqlite_many(connection, sql, frame)


def upsert_frame(connection: Connection, table: Table, frame: pl.DataFrame, key: Sequence[str]) -> None:
    """Insert new rows and overwrite the given columns of existing ones, matched on `key`."""
    if frame.height == 0:
        return
    columns = frame.columns
    updates = ", ".join(f"{_quote(c)} = excluded.{_quote(c)}" for c in columns if c not in key)
    conflict = f"ON CONFLICT ({', '.join(_quote(k) for k in key)}) DO UPDATE SET {updates}"
    names = ", ".join(_quote(c) for c in columns)
    if connection.dialect.name == "postgresql":
        staging = f"staging_{table.name}"
        connection.exec_driver_sql(
            f"CREATE TEMP TABLE {staging} (LIKE {_quote(table.name)} INCLUDING DEFAULTS) ON COMMIT DROP"
        )
        _copy_in(connection, staging, frame)
        connection.exec_driver_sql(
            f"INSERT INTO {_quote(table.name)} ({names}) SELECT {names} FROM {staging} {conflict}"
        )
        connection.exec_driver_sql(f"DROP TABLE {staging}")
        return
    sql = f"INSERT INTO {_quote(table.name)} ({names}) VALUES ({', '.join('?' * len(columns))}) {conflict}"
    _sqlite_many(connection, sql, frame)


def _copy_in(connection: Connection, table_name: str, frame: pl.DataFrame) -> None:
    raw = _driver(connection)
    names = ", ".join(_quote(c) for c in frame.columns)
    text = _for_copy(frame).write_csv(include_header=False, null_value="\\N", quote_style="necessary")
    with (
        raw.cursor() as cursor,
        cursor.copy(f"COPY {_quote(table_name)} ({names}) FROM STDIN WITH (FORMAT csv, NULL '\\N')") as copy,
    ):
        copy.write(text)


def _for_copy(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(
        pl.col(c).cast(pl.String).str.to_lowercase() for c, t in frame.schema.items() if t == pl.Boolean
    )


def _sqlite_many(connection: Connection, sql: str, frame: pl.DataFrame) -> None:
    raw = _driver(connection)
    for batch in _batches(frame):
        raw.executemany(sql, batch)


def _batches(frame: pl.DataFrame) -> Iterator[list[tuple[Any, ...]]]:
    # SQLite keeps dates and timestamps as ISO text, as SQLAlchemy's SQLite types do.
    prepared = frame.with_columns(
        pl.col(c).dt.to_string("%Y-%m-%d")
        if t == pl.Date
        else pl.col(c).dt.to_string("%Y-%m-%d %H:%M:%S.%6f")
        for c, t in frame.schema.items()
        if t in (pl.Date(), pl.Datetime()) or isinstance(t, pl.Datetime)
    )
    for start in range(0, prepared.height, SQLITE_BATCH):
        yield prepared.slice(start, SQLITE_BATCH).rows()


def _driver(connection: Connection) -> Any:
    """The DBAPI connection underneath (psycopg or sqlite3), for COPY and executemany."""
    driver = connection.connection.driver_connection
    assert driver is not None
    return driver


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def text_of(column: str, dtype: pl.DataType) -> pl.Expr:
    """A value as history and custom fields keep it: 1200 rather than 1200.0, dates as YYYY-MM-DD,
    true/false."""
    expr = pl.col(column)
    if dtype.is_float():
        whole = expr.is_not_null() & (expr == expr.round(0)) & (expr.abs() < 2**53)
        return pl.when(whole).then(expr.cast(pl.Int64).cast(pl.String)).otherwise(expr.cast(pl.String))
    if dtype == pl.Boolean:
        return pl.when(expr).then(pl.lit("true")).when(expr.not_()).then(pl.lit("false"))
    return expr.cast(pl.String)


def now() -> datetime:
    return datetime.now().replace(microsecond=0)
