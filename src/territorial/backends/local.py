"""The local engine behind --engine: today's polars engine (and `score apply`'s scoring), on
Parquet files read whole."""

from __future__ import annotations

import duckdb
import polars as pl
from sqlglot import exp

from territorial.backends.accounts_in import plan_reads, plan_warnings, typed_book, wanted_columns
from territorial.backends.job import AssignJob, AssignTotals, KpiJob, ScoreJob
from territorial.backends.kpi_files import READ, local_kpis
from territorial.backends.parquet_out import write_frame, write_rows
from territorial.backends.score_batches import score_whole
from territorial.domain.assignment import RESULT_COLUMNS
from territorial.engine.assign import assign
from territorial.engine.compiled import CompiledPlan
from territorial.engine.workload import account_workload
from territorial.io.tables import RawTable
from territorial.progress import Progress


class LocalEngine:
    """All accounts in memory, as `assign --accounts FILE` runs: the reference the others match."""

    name = "local"

    def assign(self, job: AssignJob, progress: Progress) -> AssignTotals:
        progress(f"Reading accounts from {job.shown_as}", None)
        header = list(pl.read_parquet_schema(job.sources[0]))
        columns = wanted_columns(header, plan_reads(job.plan))
        frame = pl.read_parquet(list(job.sources), columns=columns)
        book = typed_book(RawTable(frame, job.shown_as, is_csv=False, header=header), job.plan)
        warnings = plan_warnings(job.plan, book)
        workload, null_workload = account_workload(job.plan, book)
        progress(f"Assigning {len(book):,} accounts to {len(job.plan.territories):,} territories", None)
        result = assign(CompiledPlan(job.plan), book, workload, null_workload)
        progress(f"Writing {result.rows.height:,} rows to {job.out.path}", None)
        with duckdb.connect() as connection:
            connection.register("assigned", result.rows.select(RESULT_COLUMNS))
            write_rows(connection, exp.select("*").from_("assigned"), job.out)
        return AssignTotals(
            accounts=result.accounts,
            rows=result.rows.height,
            unassigned=result.unassigned,
            ties=result.ties,
            skipped_on_null=result.skipped_on_null,
            warnings=warnings,
        )

    def score(self, job: ScoreJob, progress: Progress) -> int:
        return score_whole(job, progress)

    def kpis(self, job: KpiJob, progress: Progress) -> int:
        progress(f"Reading the assignment {job.shown_as}", None)
        table = local_kpis(pl.read_parquet(list(job.sources), columns=READ), job.by)
        write_frame(table, job.out)
        return table.height
