"""Assigning accounts where they live: Parquet in and out, on the engine the user picks."""

from __future__ import annotations

import re
from pathlib import Path

from territorial.backends.duckdb_engine import DuckdbEngine
from territorial.backends.job import (
    AssignEngine,
    AssignJob,
    AssignTotals,
    ParquetOut,
    parquet_sources,
    partition_columns,
)
from territorial.backends.local import LocalEngine
from territorial.errors import BadInput
from territorial.progress import Progress, silent
from territorial.services.plans import resolve_plan
from territorial.services.unit_of_work import WorkspaceStore

ENGINES: dict[str, type[AssignEngine]] = {"local": LocalEngine, "duckdb": DuckdbEngine}

_MEMORY = re.compile(r"^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$", re.IGNORECASE)


def engine_named(name: str) -> AssignEngine:
    if name not in ENGINES:
        raise BadInput.at(f"no engine {name!r}: expected one of {', '.join(ENGINES)}", "--engine")
    return ENGINES[name]()


def parquet_out(out: Path, single_file: bool | None, partition_by: str | None) -> ParquetOut:
    """Where --out, --single-file/--files and --partition-by put the rows: one file by default
    for a path ending in .parquet, else a folder of files."""
    partitions = partition_columns(partition_by)
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
) -> AssignTotals:
    """Assign a Parquet file, folder or glob of accounts to a plan (a file, or a stored plan's id
    with `workspace`) and write the rows to `out` (parquet_out); nothing is stored."""
    chosen = engine_named(engine)
    target = parquet_out(out, single_file, partition_by)
    if memory_limit is not None:
        if chosen.name == "local":
            raise BadInput.at(
                "--memory-limit bounds the duckdb engine; the local engine reads all in memory",
                "--memory-limit",
            )
        if not _MEMORY.match(memory_limit.strip()):
            raise BadInput.at(f"expected a size such as 4GB or 512MB, got {memory_limit!r}", "--memory-limit")
    sources = parquet_sources(accounts)
    progress(f"Reading the plan {plan_ref}", None)
    plan = resolve_plan(workspace, plan_ref, "--plan").plan
    job = AssignJob(plan, sources, str(accounts), target, memory_limit.strip() if memory_limit else None)
    return chosen.assign(job, progress)
