"""Scoring: `score train`, `score train-potential`, `score apply` and `score relevance`."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress

from territorial.cli import render
from territorial.cli.app import MappingOption, console, err, group, handled
from territorial.cli.engine_options import (
    MemoryLimitOption,
    SingleFileOption,
    SparkMasterOption,
    no_engine_options,
)
from territorial.cli.progress import stage_bar
from territorial.domain.choices import FitEstimator, PotentialEstimator
from territorial.errors import BadInput
from territorial.services.scale_score import score_at_scale
from territorial.services.scoring import (
    apply_fit_model,
    score_relevance,
    train_fit_model,
    train_potential_model,
)

score_app = group("score", "Fit scores (the chance that an account or lead converts) and account potential.")

FORCE_HELP = "Save the model even when it has no signal (no better than chance or the average)."

# A progress bar for inquiries appears only when the whole file will take longer than this.
SHOW_PROGRESS_AFTER_SECONDS = 2.0


def _columns(text: str) -> list[str]:
    return [c.strip() for c in text.split(",") if c.strip()]


@score_app.command("train")
@handled
def score_train(
    history: Annotated[Path, typer.Option("--history", help="Past accounts or leads with their outcome.")],
    label: Annotated[
        str,
        typer.Option(
            "--label",
            help="The outcome: a column (1/0, true/false, yes/no), or a condition in the rule language, "
            "e.g. \"lifecycle_stage IN ('customer', 'evangelist')\" (COLUMN=VALUE[,VALUE…] for short).",
        ),
    ],
    out: Annotated[Path, typer.Option("--out", help="Model file to write.")],
    exclude_columns: Annotated[
        str, typer.Option("--exclude-columns", help="Comma-separated columns known only after the outcome.")
    ] = "",
    estimator: Annotated[
        FitEstimator, typer.Option("--estimator", help="auto is chosen by cross-validation.")
    ] = FitEstimator.AUTO,
    force: Annotated[bool, typer.Option("--force", help=FORCE_HELP)] = False,
    validate: Annotated[
        str | None,
        typer.Option(
            "--validate",
            help="time:COLUMN also trains on the older rows by that date column and tests on the newest "
            "fifth, reported beside the cross-validated figure.",
        ),
    ] = None,
    mapping: MappingOption = None,
) -> None:
    """Train a conversion model; prints cross-validated ROC AUC, PR AUC, the features used and those
    left out (with why), a calibration table, each grade's observed conversion rate, and the
    fit_threshold that keeps 90%, 95% and 99% of the converters with the share of leads it would
    nurture. Dates become their day of week and hour. A model no better than chance (ROC AUC 0.5
    or less, or none) is not saved without --force."""
    with stage_bar(err) as progress:
        report = train_fit_model(
            history,
            label,
            _columns(exclude_columns),
            out,
            estimator,
            progress=progress,
            force=force,
            validate=validate,
            mapping=mapping,
        )
    render.training(console(), report, out)
    render.telling_columns(err, report.telling)
    render.no_signal(err, report.warning)


@score_app.command("train-potential")
@handled
def score_train_potential(
    history: Annotated[
        Path, typer.Option("--history", help="Past deals or accounts with the value to learn.")
    ],
    target: Annotated[str, typer.Option("--target", help="The number to learn, e.g. close_value.")],
    out: Annotated[
        Path, typer.Option("--out", help="Model file to write; a plan's `potential: {model: …}`.")
    ],
    only: Annotated[
        str | None,
        typer.Option("--only", help="Learn from the rows where COLUMN=VALUE only, e.g. deal_stage=Won."),
    ] = None,
    exclude_columns: Annotated[
        str, typer.Option("--exclude-columns", help="Comma-separated columns the model must not use.")
    ] = "",
    estimator: Annotated[
        PotentialEstimator, typer.Option("--estimator", help="auto is chosen by cross-validation.")
    ] = PotentialEstimator.AUTO,
    force: Annotated[bool, typer.Option("--force", help=FORCE_HELP)] = False,
    mapping: MappingOption = None,
) -> None:
    """Train an account-potential model (e.g. expected deal value from won deals); prints
    cross-validated R² and mean absolute error. A model no better than the average (R² 0 or less)
    is not saved without --force."""
    with err.status("Training with 5-fold cross-validation…"):
        report = train_potential_model(
            history, target, _columns(exclude_columns), out, estimator, only, force=force, mapping=mapping
        )
    render.potential_training(console(), report, out)
    render.no_signal(err, report.warning)


@score_app.command("apply")
@handled
def score_apply(
    file: Annotated[Path, typer.Argument(help="Accounts or leads to score.")],
    model: Annotated[Path, typer.Option("--model", help="A model file from `score train`.")],
    out: Annotated[Path, typer.Option("--out", help="Where to write id, score, grade and reasons.")],
    id_column: Annotated[str | None, typer.Option("--id", help="The id column (default: the first).")] = None,
    mapping: MappingOption = None,
    engine: Annotated[
        str | None,
        typer.Option(
            "--engine",
            help="local, duckdb or spark: read FILE as Parquet (a file, a folder or a glob) and write "
            "--out as Parquet, sorted by id. duckdb scores in batches with bounded memory; spark on "
            "--spark-master (needs the [spark] extra).",
        ),
    ] = None,
    single_file: SingleFileOption = None,
    partition_by: Annotated[
        str | None, typer.Option("--partition-by", help="With --engine: grade, a folder per grade.")
    ] = None,
    memory_limit: MemoryLimitOption = None,
    spark_master: SparkMasterOption = None,
) -> None:
    """Score a file: a 0–100 score, a grade relative to the history (A: its top 10%, B the next 20%,
    C the next 30%, D the rest) and the top three reasons. The file may name its columns as the
    history did or as its CRM or Territorial does (Create Date, CreatedDate or created). With
    --engine, a Parquet file, folder or glob is scored on that engine, with the same figures."""
    if engine is not None:
        if mapping is not None:
            raise BadInput.at("--mapping is not available with --engine: map the columns first", "--mapping")
        with stage_bar(err) as progress:
            rows = score_at_scale(
                model,
                file,
                out,
                engine,
                id_column,
                single_file,
                partition_by,
                memory_limit,
                progress,
                spark_master,
            )
        err.print(f"scored {rows:,} rows into {out} (engine {engine})", highlight=False)
        return
    no_engine_options(single_file, partition_by, memory_limit, spark_master)
    with err.status("Scoring…"):
        rows = apply_fit_model(model, file, out, id_column, mapping)
    err.print(f"scored {rows:,} rows into {out}")


@score_app.command("relevance")
@handled
def score_relevance_file(
    file: Annotated[Path, typer.Argument(help="Leads with their inquiry text (CSV, Excel or Parquet).")],
    catalogue: Annotated[Path, typer.Option("--catalogue", help="The product catalogue YAML.")],
    out: Annotated[Path, typer.Option("--out", help="Where to write id, relevance, product, not_relevant.")],
    text_column: Annotated[str, typer.Option("--text", help="The inquiry text column.")] = "inquiry",
    id_column: Annotated[str | None, typer.Option("--id", help="The id column (default: the first).")] = None,
    threshold: Annotated[
        float | None,
        typer.Option("--threshold", help="Flag inquiries below this relevance (default: calibrated, 0.5)."),
    ] = None,
    mapping: MappingOption = None,
) -> None:
    """Is each inquiry about our products? A 0–1 relevance, the closest product and a not_relevant flag."""
    loading = err.status("Loading the language model…")
    progress = Progress(console=err, transient=True)
    task = progress.add_task("Scoring inquiries", total=None)
    started = 0.0

    def on_batch(done: int, total: int) -> None:
        nonlocal started
        if done == 0:
            loading.stop()
            started = time.monotonic()
        elif (
            not progress.live.is_started
            and done < total
            and (time.monotonic() - started) * total / done > SHOW_PROGRESS_AFTER_SECONDS
        ):
            progress.start()
        progress.update(task, completed=done, total=total)

    loading.start()
    try:
        rows = score_relevance(catalogue, file, out, text_column, id_column, threshold, on_batch, mapping)
    finally:
        loading.stop()
        progress.stop()
    err.print(f"scored {rows:,} inquiries into {out}")
