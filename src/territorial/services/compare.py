"""Comparing two plans: who moves, what each rep gains and loses, continuity and balance. The second
plan is evaluated exactly as activating it now would be, so a comparison is the activation preview."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl

from territorial.domain.fields import ACCOUNT_ID
from territorial.domain.lifecycle import PlanState
from territorial.domain.plan import PRIMARY
from territorial.engine.workload import account_workload
from territorial.errors import Problem
from territorial.progress import Progress, silent
from territorial.services.activation import Evaluated, evaluate_for_activation
from territorial.services.context import Context
from territorial.services.permissions import may_plan
from territorial.services.plans import plan_in
from territorial.services.potential import account_potential
from territorial.services.settings import load_settings, today
from territorial.services.unit_of_work import UnitOfWork, WorkspaceStore
from territorial.services.workspace import open_pipeline

MOVER_COLUMNS = ["account_id", "layer", "from_territory", "from_rep", "to_territory", "to_rep"]
# Each rep's gains and losses: accounts, and the workload, potential and open pipeline they carry.
FIGURES = ("workload", "potential", "pipeline")


@dataclass(frozen=True)
class Balance:
    """Workload per rep in the primary layer (B's workload definition), over the side's roster."""

    reps: int
    cv: float | None  # standard deviation ÷ mean; None without reps or workload
    max_over_mean: float | None


@dataclass
class Comparison:
    plan_a: int
    plan_b: int
    movers: pl.DataFrame  # MOVER_COLUMNS, by account_id and layer
    moves: pl.DataFrame  # the movers counted by layer, from and to territory and rep, largest first
    reps: pl.DataFrame  # layer, rep_id, accounts_a, accounts_b, gained, lost and the FIGURES of each
    continuity: float | None  # primary: accounts with the same rep ÷ accounts with a rep in A
    balance_a: Balance
    balance_b: Balance
    warnings: list[Problem]


def _side(uow: UnitOfWork, plan_id: int, day: date, progress: Progress) -> tuple[pl.DataFrame, list[str]]:
    """A plan's rows and roster reps: the live ones for the active plan, else as activating it would."""
    if plan_in(uow, plan_id).state is PlanState.ACTIVE:
        rows = uow.live.rows(["account_id", "layer", "territory_id", "rep_id"])
        return rows, uow.roster.current().get_column("rep_id").to_list()
    evaluated = evaluate_for_activation(uow, plan_id, day, progress)
    return evaluated.result.rows, evaluated.roster.get_column("rep_id").to_list()


@dataclass
class PlanSides:
    """Every workspace account's rows in plan A and in plan B (B as activating it now would make it),
    with B's workload, potential and open pipeline: what `compare` and `impact` read."""

    joined: pl.DataFrame  # account_id, layer, from_/to_territory, from_/to_rep, workload, potential, pipeline
    evaluated: Evaluated  # plan B evaluated: its plan, book and roster
    roster_a: list[str]
    warnings: list[Problem]


def plan_sides(
    workspace: WorkspaceStore, ctx: Context, plan_a: int, plan_b: int, progress: Progress = silent
) -> PlanSides:
    """Plan A (the live rows when A is active) and plan B as activating it now would make it, joined
    by account and layer."""
    day = today(ctx, load_settings())
    with workspace.unit_of_work() as uow:
        rows_a, roster_a = _side(uow, plan_a, day, progress)
        evaluated = evaluate_for_activation(uow, plan_b, day, progress)
        pipeline = open_pipeline(uow)
    book, warnings = evaluated.book, list(evaluated.warnings)
    workload, _null = account_workload(evaluated.plan, book)
    ids = book.frame.get_column(book.columns[ACCOUNT_ID]).cast(pl.String)
    values = pl.DataFrame(
        {
            "account_id": ids,
            "workload": workload,
            "potential": account_potential(evaluated.plan, book, Path.cwd(), warnings),
        }
    )
    if pipeline is not None:
        values = values.join(pipeline.rename({"value": "pipeline"}), on="account_id", how="left")
    values = values.with_columns(
        (pl.col("pipeline") if "pipeline" in values.columns else pl.lit(0.0)).fill_null(0.0).alias("pipeline")
    )
    side_a = rows_a.filter(pl.col("account_id").is_in(ids.implode())).select(
        "account_id",
        "layer",
        pl.col("territory_id").alias("from_territory"),
        pl.col("rep_id").alias("from_rep"),
    )
    side_b = evaluated.result.rows.select(
        "account_id", "layer", pl.col("territory_id").alias("to_territory"), pl.col("rep_id").alias("to_rep")
    )
    joined = side_a.join(side_b, on=["account_id", "layer"], how="full", coalesce=True).join(
        values, on="account_id", how="left"
    )
    return PlanSides(joined, evaluated, roster_a, warnings)


def compare_plans(
    workspace: WorkspaceStore, ctx: Context, plan_a: int, plan_b: int, progress: Progress = silent
) -> Comparison:
    """Plan A (the live rows when A is active) against plan B as activating it now would make it."""
    may_plan(ctx.principal, "compare plans")
    sides = plan_sides(workspace, ctx, plan_a, plan_b, progress)
    joined, evaluated, roster_a, warnings = sides.joined, sides.evaluated, sides.roster_a, sides.warnings
    moved = pl.col("from_territory").ne_missing(pl.col("to_territory")) | pl.col("from_rep").ne_missing(
        pl.col("to_rep")
    )
    layer_order = [pl.col("layer") != PRIMARY, pl.col("layer")]
    movers = joined.filter(moved).sort([pl.col("account_id"), *layer_order]).select(MOVER_COLUMNS)
    moves = (
        movers.group_by("layer", "from_territory", "from_rep", "to_territory", "to_rep")
        .agg(pl.len().alias("accounts"))
        .sort(
            ["accounts", "layer", "from_territory", "from_rep", "to_territory", "to_rep"],
            descending=[True, False, False, False, False, False],
            nulls_last=True,
        )
    )
    primary = joined.filter(pl.col("layer") == PRIMARY)
    had_rep = primary.filter(pl.col("from_rep").is_not_null())
    continuity = (
        had_rep.filter(pl.col("from_rep") == pl.col("to_rep")).height / had_rep.height
        if had_rep.height
        else None
    )
    return Comparison(
        plan_a,
        plan_b,
        movers,
        moves,
        _rep_changes(joined),
        continuity,
        _balance(primary, "from_rep", roster_a),
        _balance(primary, "to_rep", evaluated.roster.get_column("rep_id").to_list()),
        warnings,
    )


def _rep_changes(joined: pl.DataFrame) -> pl.DataFrame:
    changed = pl.col("from_rep").ne_missing(pl.col("to_rep"))

    def per_rep(column: str, kind: str, where: pl.Expr) -> pl.DataFrame:
        return (
            joined.filter(pl.col(column).is_not_null() & where)
            .group_by("layer", pl.col(column).alias("rep_id"))
            .agg(
                pl.len().alias(kind),
                *(pl.col(f).sum().alias(f"{f}_{kind}") for f in FIGURES if kind != "accounts"),
            )
        )

    books_a = per_rep("from_rep", "accounts", pl.lit(True)).rename({"accounts": "accounts_a"})
    books_b = per_rep("to_rep", "accounts", pl.lit(True)).rename({"accounts": "accounts_b"})
    gained = per_rep("to_rep", "gained", changed)
    lost = per_rep("from_rep", "lost", changed)
    keys = ["layer", "rep_id"]
    table = books_a.join(books_b, on=keys, how="full", coalesce=True)
    for part in (gained, lost):
        table = table.join(part, on=keys, how="left")
    numbers = [c for c in table.columns if c not in keys]
    order = [
        "accounts_a",
        "accounts_b",
        "gained",
        "lost",
        *(f"{f}_{k}" for f in FIGURES for k in ("gained", "lost")),
    ]
    return (
        table.with_columns(pl.col(c).fill_null(0) for c in numbers)
        .select(*keys, *order)
        .sort([pl.col("layer") != PRIMARY, "layer", "rep_id"])
    )


def _balance(primary: pl.DataFrame, column: str, roster: list[str]) -> Balance:
    loads = primary.filter(pl.col(column).is_not_null()).group_by(column).agg(pl.col("workload").sum())
    by_rep = dict.fromkeys(sorted(set(roster)), 0.0) | dict(loads.iter_rows())
    values = np.array([by_rep[rep] for rep in sorted(by_rep)], np.float64)
    mean = float(values.mean()) if values.size else 0.0
    if mean <= 0:
        return Balance(values.size, None, None)
    return Balance(values.size, float(values.std()) / mean, float(values.max()) / mean)
