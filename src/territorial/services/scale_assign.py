"""Assigning accounts where they live: Parquet in and out, on the engine the user picks."""

from __future__ import annotations

import re
from pathlib import Path

from territorial.backends.duckdb_engine import DuckdbEngine
from territorial.backends.job import (
    PARTITION_COLUMNS,
    AssignJob,
    AssignTotals,
    Engine,
    ParquetOut,
    parquet_sources,
    partition_columns,
)
from territorial.backends.local import LocalEngine
from territorial.backends.spark_engine import LOCAL_MASTER, SparkEngine
from territorial.errors import BadInput
from territorial.progress import Progress, silent
from territorial.services.plans import resolve_plan
from territorial.services.unit_of_work import WorkspaceStore

ENGINES = ("local", "duckdb", "spark")

_MEMORY = re.compile(r"^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$", re.IGNORECASE)


def engine_named(name: str, spark_master: str | None = None) -> Engine:
    """The engine --engine names; --spark-master goes with spark only."""
    if name not in ENGINES:
        raise BadInput.at(f"no engine {name!r}: expected one of {', '.join(ENGINES)}", "--engine")
    if spark_master is not None and name != "spark":
        raise BadInput.at("--spark-master goes with --engine spark", "--spark-master")
    if name == "spark":
        return SparkEngine(spark_master or LOCAL_MASTER)
    return LocalEngine() if name == "local" else DuckdbEngine()


def parquet_out(
    out: Path,
    single_file: bool | None,
    partition_by: str | None,
    partition_columns_allowed: tuple[str, ...] = PARTITION_COLUMNS,
) -> ParquetOut:
    """Where --out, --single-file/--files and --partition-by put the rows: one file by default
    for a path ending in .parquet, else a folder of files."""
    partitions = partition_columns(partition_by, partition_columns_allowed)
    one_file = (out.suffix.lower() == ".parquet") if single_file is None else single_file
    if one_file and partitions:
        raise BadInput.at("--partition-by writes a folder; leave out --single-file", "--partition-by")
    if one_file and out.suffix.lower() != ".parquet":
        raise BadInput.at("--engine writes Parquet: give an --out ending in .parquet, or a folder", str(out))
    return ParquetOut(out, single_file=one_file and not partitions, partition_by=partitions)


def assign_at_scale(
    plan_ref: str | int | Path,
    accounts: str | Path,
    out: Path,
    engine: str,
    single_file: bool | None = None,
    partition_by: str | None = None,
    memory_limit: str | None = None,
    progress: Progress = silent,
    workspace: WorkspaceStore | None = None,
    spark_master: str | None = None,
) -> AssignTotals:
    """Assign a Parquet file, folder or glob of accounts to a plan (a file, or a stored plan's id
    with `workspace`) and write the rows to `out` (parquet_out); nothing is stored. `spark_master`
    is where the spark engine runs (local[*] by default)."""
    chosen = engine_named(engine, spark_master)
    target = parquet_out(out, single_file, partition_by)
    limit = checked_memory_limit(chosen, memory_limit)
    sources = parquet_sources(accounts)
    progress(f"Reading the plan {plan_ref}", None)
    plan = resolve_plan(workspace, plan_ref, "--plan").plan
    return chosen.assign(AssignJob(plan, sources, str(accounts), target, limit), progress)


def checked_memory_limit(chosen: Engine, memory_limit: str | None) -> str | None:
    """--memory-limit as DuckDB takes it; refused for the other engines, which cannot keep to it."""
    if memory_limit is None:
        return None
    if chosen.name != "duckdb":
        raise BadInput.at(
            f"--memory-limit bounds the duckdb engine; the {chosen.name} engine "
            + ("reads all in memory" if chosen.name == "local" else "takes Spark's own settings"),
            "--memory-limit",
        )
    if not _MEMORY.match(memory_limit.strip()):
        raise BadInput.at(f"expected a size such as 4GB or 512MB, got {memory_limit!r}", "--memory-limit")
    return memory_limit.strip()


def is_uri(text: str) -> bool:
    """A path Spark reads with a file system of its own (s3a://, abfss://, hdfs://, file://)."""
    return "://" in text


def spark_job(
    plan_file: Path,
    accounts: str,
    out: str,
    single_file: bool | None = None,
    partition_by: str | None = None,
    progress: Progress = silent,
    spark_master: str | None = None,
) -> AssignTotals:
    """What `territorial spark-job` runs under spark-submit: the spark engine, in the session
    spark-submit configured (its master, unless `spark_master` is given), on accounts and an
    output that are local paths or object-storage URIs. An output URI is a folder of files."""
    engine = SparkEngine(spark_master)
    if is_uri(out):
        partitions = partition_columns(partition_by)
        one_file = bool(single_file) and not partitions
        target = ParquetOut(Path(), single_file=one_file, partition_by=partitions, uri=out)
    else:
        target = parquet_out(Path(out), single_file, partition_by)
    sources = (accounts,) if is_uri(accounts) else parquet_sources(accounts)
    progress(f"Reading the plan {plan_file}", None)
    plan = resolve_plan(None, plan_file, "PLAN").plan
    return engine.assign(AssignJob(plan, sources, accounts, target), progress)
