"""`spark-job`: what spark-submit runs, `assign --engine spark` in the session spark-submit made,
on local paths or object storage (s3a://, abfss://)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from territorial.cli.app import app, err, handled
from territorial.cli.assign import said_totals
from territorial.cli.progress import stage_bar
from territorial.services.scale_assign import spark_job as run_spark_job


@app.command("spark-job")
@handled
def spark_job(
    plan: Annotated[Path, typer.Argument(help="Plan YAML file (with spark-submit's --files, its name).")],
    accounts: Annotated[
        str, typer.Option("--accounts", help="Parquet: a file, a folder, a glob, or s3a://, abfss://… URI.")
    ],
    # Not named `out`: the check every command makes of its output files takes no URI.
    destination: Annotated[
        str,
        typer.Option("--out", help="Where the rows go: a .parquet file, a folder, or a URI (a folder)."),
    ],
    single_file: Annotated[
        bool | None,
        typer.Option("--single-file/--files", help="One Parquet file, or a folder of files (as assign's)."),
    ] = None,
    partition_by: Annotated[
        str | None,
        typer.Option("--partition-by", help="A folder per value of layer, territory_id or rep_id."),
    ] = None,
    spark_master: Annotated[
        str | None,
        typer.Option("--spark-master", help="Leave out under spark-submit, whose --master applies."),
    ] = None,
) -> None:
    """Assign accounts on Spark: `assign --engine spark`, for spark-submit.

    spark-submit runs territorial/spark_job.py (or `territorial spark-job` on a driver with the
    package installed); the master, memory and packages are spark-submit's. Accounts and --out may
    be object-storage URIs, read and written by Spark itself."""
    with stage_bar(err) as progress:
        totals = run_spark_job(plan, accounts, destination, single_file, partition_by, progress, spark_master)
    said_totals(totals, destination, "spark")
