"""KPIs where the assignment lives: `kpis --engine` on the Parquet that `assign --engine` wrote."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from territorial.backends.job import FILE_KPI_GROUPINGS, KpiJob, parquet_sources
from territorial.backends.kpi_files import READ
from territorial.errors import BadInput
from territorial.progress import Progress, silent
from territorial.services.scale_assign import engine_named, parquet_out


def kpis_of_file(
    assignments: str | Path,
    out: Path,
    engine: str,
    by: str = "territory",
    progress: Progress = silent,
    spark_master: str | None = None,
) -> int:
    """Book KPIs (accounts, workload, overlaps, ties) per territory, rep or layer of an assignment
    file, folder or glob, as `territorial kpis` counts them, written to `out` (one Parquet file,
    sorted by group, the groups in parentheses last). Returns the number of groups."""
    chosen = engine_named(engine, spark_master)
    if by not in FILE_KPI_GROUPINGS:
        raise BadInput.at(
            f"kpis --engine groups by {', '.join(FILE_KPI_GROUPINGS)}, not '{by}' (rep fields such as "
            "team need the workspace's reps: `territorial kpis` without --engine)",
            "--by",
        )
    if out.suffix.lower() != ".parquet":
        raise BadInput.at("kpis --engine writes one Parquet file: give an --out ending in .parquet", str(out))
    target = parquet_out(out, True, None)
    sources = parquet_sources(assignments)
    header = set(pl.read_parquet_schema(sources[0]))
    missing = [column for column in READ if column not in header]
    if missing:
        raise BadInput.at(
            f"expected an assignment written by `assign --engine`; it has no {', '.join(missing)}",
            sources[0],
        )
    return chosen.kpis(KpiJob(sources, str(assignments), by, target), progress)
