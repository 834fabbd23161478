"""The options every command with `--engine local|duckdb|spark` takes (assign, score apply, kpis)."""

from __future__ import annotations

from typing import Annotated

import typer

from territorial.errors import BadInput

SingleFileOption = Annotated[
    bool | None,
    typer.Option(
        "--single-file/--files",
        help="With --engine: one Parquet file (the default for an --out ending in .parquet), or a "
        "folder of files part-0.parquet, part-1.parquet… in the output's order.",
    ),
]
MemoryLimitOption = Annotated[
    str | None,
    typer.Option("--memory-limit", help="With --engine duckdb: the memory it keeps within, e.g. 4GB."),
]
SparkMasterOption = Annotated[
    str | None,
    typer.Option(
        "--spark-master",
        help="With --engine spark: where Spark runs, e.g. local[2] or spark://host:7077 "
        "(default local[*], every core here).",
    ),
]


def no_engine_options(
    single_file: bool | None, partition_by: str | None, memory_limit: str | None, spark_master: str | None
) -> None:
    """Without --engine, the options that only an engine run reads are refused, not ignored."""
    for name, value in (
        ("--single-file", single_file),
        ("--partition-by", partition_by),
        ("--memory-limit", memory_limit),
        ("--spark-master", spark_master),
    ):
        if value is not None:
            raise BadInput.at(f"{name} goes with --engine local|duckdb|spark", name)
