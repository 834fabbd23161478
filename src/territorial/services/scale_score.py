"""Scoring rows where they live: `score apply` on Parquet, on the engine the user picks."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from territorial.backends.job import ScoreJob, parquet_sources
from territorial.errors import BadInput
from territorial.progress import Progress, silent
from territorial.services.scale_assign import checked_memory_limit, engine_named, parquet_out
from territorial.services.scoring import RowScorer, load_fit_model

# What a scored output may be partitioned by: its grade (A–D), a folder each.
SCORE_PARTITIONS = ("grade",)

# Rows scored on the driver before any engine starts, so that a file the model cannot read (a
# column it learnt from is missing) is told at once, with its name, and not from a Spark worker.
CHECKED_ROWS = 10


def score_at_scale(
    model_path: Path,
    rows: str | Path,
    out: Path,
    engine: str,
    id_column: str | None = None,
    single_file: bool | None = None,
    partition_by: str | None = None,
    memory_limit: str | None = None,
    progress: Progress = silent,
    spark_master: str | None = None,
) -> int:
    """Score a Parquet file, folder or glob with a `score train` model, as `score apply` scores a
    file, and write id, score, grade and reasons to `out` sorted by id. Returns the row count."""
    chosen = engine_named(engine, spark_master)
    target = parquet_out(out, single_file, partition_by, SCORE_PARTITIONS)
    limit = checked_memory_limit(chosen, memory_limit)
    sources = parquet_sources(rows)
    header = list(pl.read_parquet_schema(sources[0]))
    identifier = id_column if id_column is not None else header[0]
    if identifier not in header:
        raise BadInput.at(
            f"there is no id column '{identifier}'; columns are: {', '.join(header)}", sources[0]
        )
    progress(f"Reading the model {model_path}", None)
    scorer = RowScorer(load_fit_model(model_path), identifier)
    try:
        scorer(pl.read_parquet(sources[0], n_rows=CHECKED_ROWS))
    except BadInput as err:
        raise err.in_file(sources[0]) from None
    job = ScoreJob(scorer, identifier, sources, str(rows), target, limit)
    return chosen.score(job, progress)
