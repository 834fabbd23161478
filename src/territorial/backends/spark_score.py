"""`score apply` on Spark: the saved model, shipped to the executors, scores each partition's Arrow
batches with the local code (mapInArrow), so every score, grade and reason is the local one."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import polars as pl
import pyarrow as pa
from sqlglot import exp

from territorial.backends.job import SCORE_COLUMNS, ScoreJob
from territorial.backends.score_batches import as_frame, rows_in
from territorial.backends.spark_rows import plain_strings, write_in_order
from territorial.errors import BadInput
from territorial.progress import Progress

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


def score_on_spark(spark: SparkSession, job: ScoreJob, progress: Progress) -> int:
    """Score the rows where Spark holds them and write them sorted by id. mapInArrow rather than
    mapInPandas: pandas turns an integer column with gaps into floats ("3.0"), Arrow keeps the
    types the local reader gives the model."""
    from pyspark.sql.types import LongType, StringType, StructField, StructType

    progress(f"Reading {job.shown_as}", None)
    rows = spark.read.parquet(*job.sources)
    if job.id_column not in rows.columns:
        raise BadInput.at(f"there is no id column '{job.id_column}'", job.shown_as)
    schema = StructType(
        [
            rows.schema[job.id_column],
            StructField("score", LongType()),
            StructField("grade", StringType()),
            StructField("reasons", StringType()),
        ]
    )
    total = rows_in(job.sources)
    progress(f"Scoring {total:,} rows on Spark", None)
    scored = rows.mapInArrow(_scorer(job.score_rows), schema)
    columns = (job.id_column, *SCORE_COLUMNS)
    write_in_order(scored, job.out, columns, job.order, _no_rows(columns))
    return total


def _scorer(
    score_rows: Callable[[pl.DataFrame], pl.DataFrame],
) -> Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]:
    """What each executor runs on its batches: `score apply`'s scoring, as Arrow in and out."""

    def score(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            yield from plain_strings(score_rows(as_frame(batch)).to_arrow()).to_batches()

    return score


def _no_rows(columns: tuple[str, ...]) -> exp.Select:
    """No rows (Spark wrote no file), as text columns but the score."""
    kinds = {"score": exp.DataType.build("BIGINT")}
    text = exp.DataType.build("VARCHAR")
    return exp.select(
        *(exp.Cast(this=exp.Null(), to=kinds.get(c, text)).as_(c, quoted=True) for c in columns)
    ).where(exp.false())
