"""Book KPIs of an assignment file (the output of `assign --engine`), per territory, rep or layer:
on the local engine by `territorial kpis`' own code, and as one SQL query, built once as a sqlglot
tree and rendered for DuckDB or Spark, that states the same groups and sums."""

from __future__ import annotations

import polars as pl
import sqlglot
from sqlglot import exp

from territorial.backends.job import FILE_KPIS, KpiJob
from territorial.domain.fields import ACCOUNT_ID
from territorial.domain.plan import PRIMARY
from territorial.evaluate.kpis import (
    GROUP,
    LAYER,
    NO_TERRITORY,
    TERRITORY,
    VACANT,
    book_figures,
    placed_accounts,
)

# The assignment's columns the figures read.
READ = ["account_id", "layer", "territory_id", "rep_id", "overlaps", "tie", "workload"]


def local_kpis(rows: pl.DataFrame, by: str) -> pl.DataFrame:
    """`territorial kpis`' book figures of these assignment rows (an account's workload is its
    primary row's, as a stored run's is), with each group's workload added in ORDERED_SUM's order."""
    reps = pl.DataFrame(schema={"rep_id": pl.String})
    placed = placed_accounts(rows, reps, by)
    accounts = rows.filter(pl.col("layer") == PRIMARY).select(
        ACCOUNT_ID, pl.col("workload").fill_null(0.0), pl.lit(0.0).alias("potential")
    )
    workload = (
        placed.join(accounts, on=ACCOUNT_ID, how="left")
        .group_by(GROUP)
        .agg(pl.col("workload").fill_null(0.0).sort_by([ACCOUNT_ID, "workload"]).cum_sum().last())
    )
    figures = book_figures(placed, accounts).drop("workload").join(workload, on=GROUP)
    return figures.select(
        GROUP, *(pl.col(c).cast(pl.Float64 if c == "workload" else pl.Int64) for c in FILE_KPIS)
    ).sort([pl.col(GROUP).str.starts_with("("), GROUP])


# A sum of floating-point numbers depends on the order they are added in (DuckDB's and polars'
# plain sums of the same 3,000 workloads differ in the 15th digit). So every engine adds a group's
# workloads one after another in account_id order, as a local cumulative sum does: DuckDB through
# an ordered aggregate, Spark by folding the group's sorted list.
ORDERED_SUM = {
    "duckdb": "SUM(workload ORDER BY account_id, workload)",
    "spark": "AGGREGATE(ARRAY_SORT(COLLECT_LIST(STRUCT(account_id, workload))), CAST(0 AS DOUBLE), "
    "(total, x) -> total + x.workload)",
}


def kpi_query(job: KpiJob, source: exp.Expr, dialect: str) -> exp.Select:
    """The same figures as `local_kpis`, as SQL over `source` (the assignment rows), for DuckDB or
    Spark (`dialect`)."""
    col = exp.column
    primary = exp.EQ(this=col("layer"), expression=exp.Literal.string(PRIMARY))
    no_territory = exp.Is(this=col("territory_id"), expression=exp.Null())
    if job.by == TERRITORY:
        where: exp.Expr = primary
        group: exp.Expr = exp.func("COALESCE", col("territory_id"), exp.Literal.string(NO_TERRITORY))
    elif job.by == LAYER:
        where = exp.or_(exp.not_(no_territory), primary)
        group = exp.Case().when(no_territory, exp.Literal.string(NO_TERRITORY)).else_(col("layer"))
    else:
        where = primary
        missing = (
            exp.Case().when(no_territory, exp.Literal.string(NO_TERRITORY)).else_(exp.Literal.string(VACANT))
        )
        group = (
            exp.Case().when(exp.Is(this=col("rep_id"), expression=exp.Null()), missing).else_(col("rep_id"))
        )
    placed = (
        exp.select(col(ACCOUNT_ID), group.as_(GROUP), col("overlaps"), col("tie")).from_(source).where(where)
    )
    workloads = exp.select(col(ACCOUNT_ID), col("workload")).from_(source).where(primary)
    zero = exp.Literal.number(0)
    zero_double = exp.Cast(this=zero, to=exp.DataType.build("DOUBLE"))
    joined = (
        exp.select(
            col(GROUP, table="p"),
            col(ACCOUNT_ID, table="p"),
            exp.func("COALESCE", col("workload", table="w"), zero_double).as_("workload"),
            col("overlaps", table="p"),
            col("tie", table="p"),
        )
        .from_(placed.subquery("p"))
        .join(
            workloads.subquery("w"),
            on=exp.EQ(this=col(ACCOUNT_ID, table="p"), expression=col(ACCOUNT_ID, table="w")),
            join_type="left",
        )
    )
    figures = [
        exp.Count(this=exp.Distinct(expressions=[col(ACCOUNT_ID)])).as_("accounts"),
        sqlglot.parse_one(ORDERED_SUM[dialect], read=dialect).as_("workload"),
        exp.Sum(
            this=exp.Case()
            .when(
                exp.NEQ(
                    this=exp.func("COALESCE", col("overlaps"), exp.Literal.string("")),
                    expression=exp.Literal.string(""),
                ),
                exp.Literal.number(1),
            )
            .else_(zero)
        ).as_("overlaps"),
        exp.Sum(
            this=exp.Case()
            .when(exp.func("COALESCE", col("tie"), exp.false()), exp.Literal.number(1))
            .else_(zero)
        ).as_("ties"),
    ]
    typed = [
        col(GROUP),
        *(
            exp.Cast(this=col(c), to=exp.DataType.build("DOUBLE" if c == "workload" else "BIGINT")).as_(c)
            for c in FILE_KPIS
        ),
    ]
    grouped = exp.select(col(GROUP), *figures).from_(joined.subquery("j")).group_by(col(GROUP))
    special = exp.func("STARTS_WITH", col(GROUP), exp.Literal.string("("))
    return exp.select(*typed).from_(grouped.subquery("g")).order_by(special, col(GROUP))
