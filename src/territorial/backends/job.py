"""What every back end is given and gives back: a checked plan (or a scoring model), Parquet rows
in, Parquet results out. local (polars), duckdb and spark plug in behind `Engine`."""

from __future__ import annotations

import glob
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import polars as pl

from territorial.domain.plan import Plan
from territorial.errors import BadInput, Problem
from territorial.progress import Progress


@dataclass(frozen=True)
class ParquetOut:
    """Where results go. One file when `single_file`, else a folder of files in account_id order
    (`part-00000.parquet`, …); `partition_by` writes a hive-partitioned folder (layer=primary/…).
    `uri` is object storage (s3a://, abfss://, hdfs://), which only the spark engine writes: always
    a folder, its files in account_id order."""

    path: Path
    single_file: bool = True
    partition_by: tuple[str, ...] = ()
    uri: str | None = None


@dataclass(frozen=True)
class AssignJob:
    plan: Plan
    sources: tuple[str, ...]  # Parquet files, expanded from a file, a folder or a glob
    shown_as: str  # the accounts as the user named them, for messages
    out: ParquetOut
    memory_limit: str | None = None  # e.g. "4GB": engines that stream keep within it
    temp_dir: Path | None = None  # where an engine spills what does not fit in memory


@dataclass(frozen=True)
class AssignTotals:
    """What a scale run tells the user; the rows themselves are in the Parquet output."""

    accounts: int
    rows: int
    unassigned: int
    ties: int
    skipped_on_null: int
    warnings: list[Problem]


class AssignEngine(Protocol):
    """One back end: same plan and accounts in, the same rows out, row for row (tests/backends)."""

    name: str

    def assign(self, job: AssignJob, progress: Progress) -> AssignTotals: ...


# What `score apply` writes after the id column, in this order.
SCORE_COLUMNS = ("score", "grade", "reasons")


@dataclass(frozen=True)
class ScoreJob:
    """Rows of Parquet to score. `score_rows` is `score apply`'s own scoring (a batch of the file's
    rows in, id_column + SCORE_COLUMNS out, row for row): each row's score reads that row alone, so
    an engine may score the rows in batches, anywhere, and write them sorted by id."""

    score_rows: Callable[[pl.DataFrame], pl.DataFrame]
    id_column: str
    sources: tuple[str, ...]
    shown_as: str
    out: ParquetOut
    memory_limit: str | None = None
    temp_dir: Path | None = None

    @property
    def order(self) -> tuple[str, ...]:
        """The output's order: by id, and the rest of the row where a file repeats an id."""
        return (self.id_column, *SCORE_COLUMNS)


class ScoreEngine(Protocol):
    name: str

    def score(self, job: ScoreJob, progress: Progress) -> int:
        """Score every row and write them to job.out; returns the number of rows."""
        ...


# What `kpis --engine` figures from an assignment file: the book KPIs that are plain counts and
# sums over its rows (evaluate.kpis.book_figures), by one of these groupings.
FILE_KPIS = ("accounts", "workload", "overlaps", "ties")
FILE_KPI_GROUPINGS = ("territory", "rep", "layer")


@dataclass(frozen=True)
class KpiJob:
    """An assignment written by `assign --engine` (Parquet with its columns) and how to group it."""

    sources: tuple[str, ...]
    shown_as: str
    by: str  # one of FILE_KPI_GROUPINGS
    out: ParquetOut


class KpiEngine(Protocol):
    name: str

    def kpis(self, job: KpiJob, progress: Progress) -> int:
        """Write one row per group (group, *FILE_KPIS) to job.out; returns the number of groups."""
        ...


class Engine(AssignEngine, ScoreEngine, KpiEngine, Protocol):
    """What --engine names: a back end that assigns, scores and counts KPIs."""


def parquet_sources(given: str | Path) -> tuple[str, ...]:
    """The Parquet files a path names: a file, a folder (its *.parquet, recursively, as hive
    partitions are laid out) or a glob, sorted so that every engine reads them in one order."""
    text = str(given)
    path = Path(text)
    if path.is_dir():
        found = sorted(str(p) for p in path.rglob("*.parquet"))
    elif any(c in text for c in "*?["):
        found = sorted(p for p in glob.glob(text, recursive=True) if p.endswith(".parquet"))
    elif path.is_file():
        if path.suffix.lower() != ".parquet":
            raise BadInput.at("--engine reads Parquet: expected a .parquet file, a folder or a glob", text)
        found = [text]
    else:
        raise BadInput.at("no such file, folder or glob", text)
    if not found:
        raise BadInput.at("no .parquet files found here", text)
    return tuple(found)


# Result columns a run may be partitioned by: few distinct values each, so a folder per value.
PARTITION_COLUMNS = ("layer", "territory_id", "rep_id")


def partition_columns(text: str | None, allowed: tuple[str, ...] = PARTITION_COLUMNS) -> tuple[str, ...]:
    """--partition-by as given ("layer" or "layer,territory_id"), each one of `allowed`."""
    if not text:
        return ()
    names = tuple(part.strip() for part in text.split(",") if part.strip())
    for name in names:
        if name not in allowed:
            raise BadInput.at(
                f"cannot partition by {name!r}: expected one of {', '.join(allowed)}",
                "--partition-by",
            )
    return names
