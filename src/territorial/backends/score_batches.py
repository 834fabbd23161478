"""Scoring Parquet rows with `score apply`'s own model code: the whole file at once (local), or
in record batches of bounded size (duckdb), always written sorted by id."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
from sqlglot import exp

from territorial.backends.job import ScoreJob
from territorial.backends.parquet_out import in_order, write_frame, write_rows
from territorial.progress import Progress

# Rows scored at a time out of core: a model's reasons are a few hundred bytes a row, so a batch
# stays well under 100 MB, and a 10-million-row file still reports progress every 1%.
SCORE_BATCH_ROWS = 100_000


def rows_in(sources: tuple[str, ...]) -> int:
    """The rows of Parquet files, from their footers (nothing else is read)."""
    return sum(pq.ParquetFile(source).metadata.num_rows for source in sources)


def as_frame(rows: pa.RecordBatch | pa.Table) -> pl.DataFrame:
    """Arrow rows as the polars frame `score apply` would have read (the same column types)."""
    frame = pl.from_arrow(pa.Table.from_batches([rows]) if isinstance(rows, pa.RecordBatch) else rows)
    assert isinstance(frame, pl.DataFrame)
    return frame


def score_whole(job: ScoreJob, progress: Progress) -> int:
    """Every row in memory at once, as `score apply FILE` scores a file: the reference."""
    progress(f"Reading {job.shown_as}", None)
    frame = pl.read_parquet(list(job.sources))
    progress(f"Scoring {frame.height:,} rows", None)
    scored = job.score_rows(frame)
    progress(f"Writing {scored.height:,} rows to {job.out.path}", None)
    write_frame(scored, job.out, job.order)
    return frame.height


def score_in_batches(
    connection: duckdb.DuckDBPyConnection, scratch: Path, job: ScoreJob, progress: Progress
) -> int:
    """SCORE_BATCH_ROWS rows at a time, each batch's scores written to `scratch` as it is done;
    then DuckDB sorts them into job.out out of core (within the connection's memory limit)."""
    total = rows_in(job.sources)
    parts = scratch / "scored"
    parts.mkdir()
    done = 0
    for number, frame in enumerate(_batches(job.sources)):
        job.score_rows(frame).write_parquet(parts / f"part-{number:06d}.parquet")
        done += frame.height
        progress(f"Scoring {total:,} rows", done / total if total else None)
    progress(f"Writing {done:,} rows to {job.out.path}", None)
    files = exp.Array(expressions=[exp.Literal.string(str(p)) for p in sorted(parts.glob("*.parquet"))])
    write_rows(connection, in_order(exp.func("read_parquet", files), job.order), job.out)
    return done


def _batches(sources: tuple[str, ...]) -> Iterator[pl.DataFrame]:
    """Each file's rows in order, a batch at a time; a file of no rows still gives one (empty)
    batch, so that the output has the scored columns and their types."""
    for source in sources:
        reader = pq.ParquetFile(source)
        given = False
        for batch in reader.iter_batches(batch_size=SCORE_BATCH_ROWS):
            given = True
            yield as_frame(batch)
        if not given:
            yield as_frame(reader.schema_arrow.empty_table())
