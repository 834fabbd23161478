"""Plan checks: the plan, territory and rep tables of an assignment, and each check's rule run on
its table (a row passes only when the rule is TRUE; UNKNOWN fails)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import polars as pl

from territorial.domain.assignment import Assignment
from territorial.domain.fields import FieldType
from territorial.domain.plan import PRIMARY, Plan
from territorial.domain.plan_checks import (
    COUNTS,
    FALSE,
    ROW_NAMES,
    TABLE_COLUMNS,
    UNKNOWN,
    CheckOutcome,
    CheckOver,
    PlanCheck,
)
from territorial.engine.records import evaluation_frame
from territorial.rules.to_polars import compile_rule

# Ratios are rounded so that a workload of 110 against a mean of 100 is 1.1, as a planner writes
# it, and not 1.0999999999999999 after the mean's float sums.
RATIO_DECIMALS = 6


def check_tables(
    plan: Plan,
    result: Assignment,
    capacity: Mapping[str, float],
    pipeline: pl.DataFrame | None,
    baseline: pl.DataFrame | None,
) -> dict[CheckOver, pl.DataFrame]:
    """The three tables checks run over (the README defines every column), built from the
    assignment's rows and its territory and rep summaries.

    `plan` is the plan as applied (inactive reps out); `capacity` is each rep's (1.0 when not
    given); `pipeline` is each account's open pipeline (account_id, value), None when there is
    none to read; `baseline` is each account's earlier rep (account_id, layer, rep_id), None when
    there is no baseline. Figures without their source are NULL."""
    rows = _row_facts(result.rows, pipeline, baseline)
    known = _Known(pipeline is not None, baseline is not None)
    territories = _territory_table(plan, result, rows, capacity, known)
    reps = _rep_table(result, rows, capacity, known)
    return {
        CheckOver.PLAN: _plan_table(result, rows, reps),
        CheckOver.TERRITORY: territories,
        CheckOver.REP: reps,
    }


def _row_facts(
    rows: pl.DataFrame, pipeline: pl.DataFrame | None, baseline: pl.DataFrame | None
) -> pl.DataFrame:
    """Each result row with its open pipeline, whether it had a rep in the baseline and whether it
    moved: it had one, and now has another or none."""
    facts = rows.select("account_id", "layer", "territory_id", "rep_id", "tie", "workload")
    if pipeline is None:
        facts = facts.with_columns(pl.lit(None, pl.Float64).alias("open_pipeline"))
    else:
        facts = facts.join(
            pipeline.select("account_id", pl.col("value").cast(pl.Float64).alias("open_pipeline")),
            on="account_id",
            how="left",
            maintain_order="left",
        ).with_columns(pl.col("open_pipeline").fill_null(0.0))
    if baseline is None:
        return facts.with_columns(
            pl.lit(None, pl.Boolean).alias("had_rep"), pl.lit(None, pl.Boolean).alias("moved")
        )
    before = baseline.select("account_id", "layer", pl.col("rep_id").alias("_before"))
    facts = facts.join(before, on=["account_id", "layer"], how="left", maintain_order="left")
    had = pl.col("_before").is_not_null()
    moved = had & (pl.col("rep_id").is_null() | (pl.col("rep_id") != pl.col("_before")))
    return facts.with_columns(had.alias("had_rep"), moved.fill_null(False).alias("moved")).drop("_before")


def _group_figures(facts: pl.DataFrame, by: list[str], ties: bool = True) -> pl.DataFrame:
    """Per group of result rows: open pipeline, moved, the rows that had a rep, and (unless a
    summary has them already) ties. A sum of NULLs (no pipeline, no baseline) stays NULL."""
    return facts.group_by(by).agg(
        _null_sum("open_pipeline"),
        _null_sum("moved"),
        _null_sum("had_rep"),
        *([pl.col("tie").sum().cast(pl.Int64).alias("ties")] if ties else []),
    )


def _null_sum(name: str) -> pl.Expr:
    column = pl.col(name)
    return pl.when(column.is_null().all()).then(None).otherwise(column.cast(pl.Float64).sum()).alias(name)


@dataclass(frozen=True)
class _Known:
    """Whether the open pipeline and the baseline are known: a territory or rep with no accounts
    then has 0 of them, rather than NULL."""

    pipeline: bool
    baseline: bool


def _territory_table(
    plan: Plan, result: Assignment, facts: pl.DataFrame, capacity: Mapping[str, float], known: _Known
) -> pl.DataFrame:
    summary = result.territories
    staffed = pl.DataFrame(
        {
            "territory_id": [t.id for t in plan.territories],
            "leaf": [not t.children for t in plan.territories],
            "depth": [t.depth + 1 for t in plan.territories],  # a root is 1, as a planner counts
            "reps": [len(t.reps) for t in plan.territories],
            "_capacity": [float(sum(capacity.get(rep, 1.0) for rep in t.reps)) for t in plan.territories],
        },
        schema={
            "territory_id": pl.String,
            "leaf": pl.Boolean,
            "depth": pl.Int64,
            "reps": pl.Int64,
            "_capacity": pl.Float64,
        },
    )
    placed = facts.filter(pl.col("territory_id").is_not_null())
    figures = _group_figures(placed, ["layer", "territory_id"], ties=False)
    table = (
        summary.select(
            "layer",
            "territory_id",
            "accounts",
            "workload",
            "ties",
            _potential(summary),
            pl.when(pl.col("vacant")).then(pl.col("accounts")).otherwise(0).cast(pl.Int64).alias("vacant"),
        )
        .join(staffed, on="territory_id", how="left", maintain_order="left")
        .join(figures, on=["layer", "territory_id"], how="left", maintain_order="left")
    )
    # The mean is a typical book: a leaf's. A parent holds what its children leave (often a few
    # stragglers), and counting it would pull the mean down and make every leaf look overloaded.
    occupied_leaf = (pl.col("accounts") > 0) & pl.col("leaf")
    mean = pl.col("workload").filter(occupied_leaf).mean().over("layer")
    return _finish(table, mean, CheckOver.TERRITORY, known)


def _rep_table(
    result: Assignment, facts: pl.DataFrame, capacity: Mapping[str, float], known: _Known
) -> pl.DataFrame:
    books = result.reps
    figures = _group_figures(facts.filter(pl.col("rep_id").is_not_null()), ["layer", "rep_id"])
    table = books.select(
        "layer",
        "rep_id",
        "accounts",
        "workload",
        _potential(books),
        pl.col("rep_id")
        .replace_strict(dict(capacity), default=1.0, return_dtype=pl.Float64)
        .alias("_capacity"),
    ).join(figures, on=["layer", "rep_id"], how="left", maintain_order="left")
    return _finish(table, pl.col("workload").mean().over("layer"), CheckOver.REP, known)


def _potential(summary: pl.DataFrame) -> pl.Expr:
    """A summary's potential: NULL when the plan sets no `potential:`."""
    return (
        pl.col("potential") if "potential" in summary.columns else pl.lit(None, pl.Float64).alias("potential")
    )


def _finish(table: pl.DataFrame, mean: pl.Expr, over: CheckOver, known: _Known) -> pl.DataFrame:
    """The ratios of a territory or rep table, its counts filled, and its columns in table order.

    The target is the layer's workload held by reps shared by capacity: the row's capacity (a
    territory's is its reps') ÷ the layer's, times the workload the layer's staffed rows hold."""
    staffed = pl.col("_capacity") > 0
    held = pl.col("workload").filter(staffed).sum().over("layer")
    target = held * pl.col("_capacity") / pl.col("_capacity").sum().over("layer")
    table = table.with_columns(
        _ratio(pl.col("workload"), mean).alias("workload_vs_mean"),
        _ratio(pl.col("workload"), target).alias("workload_vs_target"),
        _ratio(pl.col("moved"), pl.col("had_rep")).alias("moved_share"),
        pl.col("ties").fill_null(0),
        *([pl.col("open_pipeline").fill_null(0.0)] if known.pipeline else []),
        *([pl.col("moved").fill_null(0.0)] if known.baseline else []),
    )
    return table.select(_typed(over))


def _ratio(numerator: pl.Expr, denominator: pl.Expr) -> pl.Expr:
    """numerator ÷ denominator, rounded; NULL when the denominator is 0 or NULL."""
    return (
        pl.when(denominator.is_null() | (denominator == 0))
        .then(None)
        .otherwise((numerator / denominator).round(RATIO_DECIMALS))
        .cast(pl.Float64)
    )


def _plan_table(result: Assignment, facts: pl.DataFrame, reps: pl.DataFrame) -> pl.DataFrame:
    """One row: the primary layer, each account once, and its most loaded primary rep's ratios."""
    primary = facts.filter(pl.col("layer") == PRIMARY)
    primary_reps = reps.filter(pl.col("layer") == PRIMARY)
    figures = _group_figures(primary.with_columns(pl.lit(0).alias("_all")), ["_all"])
    potential = result.account_potential
    total_potential = float(potential.get_column("value").sum()) if potential is not None else None
    table = figures.select(
        pl.lit(result.accounts, pl.Int64).alias("accounts"),
        pl.lit(float(primary.get_column("workload").sum())).alias("workload"),
        pl.lit(total_potential, pl.Float64).alias("potential"),
        "open_pipeline",
        pl.lit(primary_reps.get_column("workload_vs_mean").max(), pl.Float64).alias("workload_vs_mean"),
        pl.lit(primary_reps.get_column("workload_vs_target").max(), pl.Float64).alias("workload_vs_target"),
        "moved",
        _ratio(pl.col("moved"), pl.col("had_rep")).alias("moved_share"),
        "ties",
        pl.lit(result.unassigned, pl.Int64).alias("unassigned"),
        pl.lit(
            primary.filter(pl.col("territory_id").is_not_null() & pl.col("rep_id").is_null()).height, pl.Int64
        ).alias("vacant"),
    )
    return table.select(_typed(CheckOver.PLAN))


def _typed(over: CheckOver) -> list[pl.Expr]:
    """A table's columns in order: names as text, counts as whole numbers, the rest as floats."""
    out = []
    for name, ftype in TABLE_COLUMNS[over].items():
        dtype = (
            pl.String
            if ftype is FieldType.STRING
            else pl.Boolean
            if ftype is FieldType.BOOLEAN
            else pl.Int64
            if name in COUNTS
            else pl.Float64
        )
        out.append(pl.col(name).cast(dtype))
    return out


def run_checks(checks: Sequence[PlanCheck], tables: Mapping[CheckOver, pl.DataFrame]) -> list[CheckOutcome]:
    """Each check run on its table, in the plan's order."""
    return [run_check(check, tables[check.over]) for check in checks]


def run_check(check: PlanCheck, table: pl.DataFrame) -> CheckOutcome:
    """The rows where the check's rule is not TRUE, with the figures it reads and the verdict."""
    columns = TABLE_COLUMNS[check.over]
    numbers = [name for name, ftype in columns.items() if ftype is FieldType.NUMBER]
    typed = table.with_columns(pl.col(numbers).cast(pl.Float64))
    frame = evaluation_frame(typed, {name: name for name in columns}, columns, check.reads)
    verdict = frame.select(compile_rule(check.rule).alias("_verdict")).get_column("_verdict")
    failed = (
        table.select(*ROW_NAMES[check.over], *check.figures)
        .with_columns(
            pl.when(verdict.is_null()).then(pl.lit(UNKNOWN)).otherwise(pl.lit(FALSE)).alias("verdict")
        )
        .filter(~verdict.fill_null(False))
    )
    return CheckOutcome(check, table.height, failed)
