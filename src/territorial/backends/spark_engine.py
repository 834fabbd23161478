"""The spark engine: the local engine's semantics on Apache Spark, for books that live in a lake.

As the duckdb engine does: each rule is evaluated once per distinct combination of the fields it
reads (typed and lower-cased by the local engine's code on the driver, then compiled to Spark SQL
from the same AST through sqlglot's Spark dialect); membership and resolution are joins, anti
joins and grouped aggregates over (account, territory) pairs; pools are shared by the local
engine's code, one territory per group (applyInPandas); reasons are written by the local engine's
function once per distinct situation and joined back. Spark never lower-cases text itself (its
lower depends on the JVM's locale): the values the rules compare were lowered in Python.
"""

from __future__ import annotations

import os
import sys
import warnings
from typing import TYPE_CHECKING, Any

import polars as pl
import pyarrow as pa
from sqlglot import exp

from territorial.backends.accounts_in import plan_reads, wanted_columns
from territorial.backends.duckdb_engine import EDGE_SPACE, SPACE_CLASS
from territorial.backends.job import AssignJob, AssignTotals, KpiJob, ScoreJob
from territorial.backends.kpi_files import kpi_query
from territorial.backends.parquet_out import write_frame
from territorial.backends.plan_tables import (
    key_columns,
    rule_groups,
    share_pools,
    texts_of_situations,
    tree_table,
    typed_keys,
    warnings_on_keys,
)
from territorial.backends.spark_rows import plain_strings, write_in_order
from territorial.backends.spark_score import score_on_spark
from territorial.domain.assignment import RESULT_COLUMNS
from territorial.domain.book import AccountBook
from territorial.domain.fields import ACCOUNT_ID, OWNER_ID, canonical
from territorial.domain.plan import PRIMARY, Plan
from territorial.engine.compiled import CompiledPlan
from territorial.engine.pools import RepChoice
from territorial.engine.records import evaluation_frame
from territorial.errors import BadInput, Problem
from territorial.progress import Progress
from territorial.rules.to_sql import to_sql_tree

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, SparkSession

# The default master: every core of this machine. A cluster's comes from spark-submit.
LOCAL_MASTER = "local[*]"
INSTALL_HINT = (
    "the spark engine needs PySpark, an optional extra: pip install 'territorial[spark]' "
    "(in a checkout: .venv/bin/pip install -e '.[spark]'), with Java 17 on the PATH"
)

# Rules evaluated per query: 500 (duckdb's) outgrew the JVM's 64 KB limit on one method in the
# code Spark generates (it then interprets the query, and logs the compiler's error).
RULES_PER_QUERY = 100

# White space around an id, all of it (EDGE_SPACE finds an id that has some).
EDGE_SPACES = f"^{SPACE_CLASS}+|{SPACE_CLASS}+$"

# Columns of a pool entry as the grouped map gives them back.
POOL_OUT = "row STRING, layer INT, t INT, tie BOOLEAN, others STRING, how INT, rep_id STRING"


def spark_session(master: str | None) -> SparkSession:
    """The running session (spark-submit's, or a test's), else one on `master`. PySpark needs
    the loopback address and this interpreter for its workers; they are set when not given."""
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    # PySpark warns of pandas 3 on each grouped map; the pools' map is Arrow's, without pandas.
    warnings.filterwarnings("ignore", "PySpark does not yet fully support pandas", FutureWarning)
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise BadInput.at(INSTALL_HINT, "--engine") from None
    active = SparkSession.getActiveSession()
    if active is not None:
        session = active
    else:
        builder = SparkSession.builder.appName("territorial")
        if master is not None:
            builder = builder.master(master)
        session = (
            builder.config("spark.ui.showConsoleProgress", "false")
            .config("spark.ui.enabled", "false")
            .getOrCreate()
        )
        session.sparkContext.setLogLevel("ERROR")
    # Columns named as in the file, and dates read as written, whatever the cluster's defaults.
    session.conf.set("spark.sql.caseSensitive", "true")
    session.conf.set("spark.sql.session.timeZone", "UTC")
    return session


class SparkEngine:
    """Runs the plan on Spark: `master` as --spark-master gives it, or the running session's."""

    name = "spark"

    def __init__(self, master: str | None = LOCAL_MASTER) -> None:
        try:
            import pyspark  # noqa: F401  (here, so that a run without it stops before any work)
        except ImportError:
            raise BadInput.at(INSTALL_HINT, "--engine") from None
        self.master = master

    def assign(self, job: AssignJob, progress: Progress) -> AssignTotals:
        progress(f"Starting Spark ({self.master or 'the submitted session'})", None)
        spark = spark_session(self.master)
        return _Run(spark, job, progress).totals()

    def kpis(self, job: KpiJob, progress: Progress) -> int:
        progress(f"Starting Spark ({self.master or 'the submitted session'})", None)
        spark = spark_session(self.master)
        progress(f"Counting the KPIs of {job.shown_as}", None)
        spark.read.parquet(*job.sources).createOrReplaceTempView("assignment")
        query = kpi_query(job, exp.to_table("assignment"), "spark")
        table = to_polars(spark.sql(query.sql(dialect="spark")))
        write_frame(table, job.out)
        return table.height

    def score(self, job: ScoreJob, progress: Progress) -> int:
        progress(f"Starting Spark ({self.master or 'the submitted session'})", None)
        return score_on_spark(spark_session(self.master), job, progress)


def to_spark(spark: SparkSession, frame: pl.DataFrame) -> DataFrame:
    """A small polars frame (made on the driver) as a Spark DataFrame, through Arrow."""
    return spark.createDataFrame(plain_strings(frame.to_arrow()))


def to_polars(frame: DataFrame) -> pl.DataFrame:
    """A small Spark result on the driver, through Arrow."""
    table = frame.toArrow()
    out = pl.from_arrow(table)
    assert isinstance(out, pl.DataFrame)
    return out


# Distinct combinations of some fields: raw with their numbers (__key), typed, and numbered in Spark.
Keys = tuple[pl.DataFrame, AccountBook, "DataFrame | None"]


class _Run:
    def __init__(self, spark: SparkSession, job: AssignJob, progress: Progress) -> None:
        from pyspark.sql import functions as F

        self.F = F
        self.spark = spark
        self.job = job
        self.plan = job.plan
        self.compiled = CompiledPlan(job.plan)
        self.progress = progress
        self.warnings: list[Problem] = []
        self.cached: list[DataFrame] = []

    def _kept(self, table: DataFrame) -> DataFrame:
        """`table` cached for the run's later steps, and let go at its end."""
        self.cached.append(table.cache())
        return self.cached[-1]

    def totals(self) -> AssignTotals:
        F = self.F
        self.progress(f"Reading accounts from {self.job.shown_as}", None)
        src = self.spark.read.option("mergeSchema", "true").parquet(*self.job.sources)
        self.header = list(src.columns)
        self.columns = {canonical(c): c for c in wanted_columns(self.header, plan_reads(self.plan))}
        if ACCOUNT_ID not in self.columns:
            raise BadInput.at(f"the required column {ACCOUNT_ID} is missing", self.job.shown_as)
        self.src = src.select(*[F.col(_quoted(c)) for c in self.columns.values()])
        groups = rule_groups(self.plan, self.compiled)
        keys = {fields: self._distinct_keys(fields) for fields in groups}
        workload = self.plan.workload
        workload_keys = self._distinct_keys((workload,)) if workload in self.columns else None
        books = [book for _raw, book, _k in [*keys.values(), *([workload_keys] if workload_keys else [])]]
        has_ids = ACCOUNT_ID in self.columns
        self.warnings = warnings_on_keys(self.plan, books, has_ids, self.job.shown_as, self.header)
        self.tree = self._kept(to_spark(self.spark, tree_table(self.plan, self.compiled)))
        hits = [
            self._rule_hits(g, keys[fields], territories)
            for g, (fields, territories) in enumerate(groups.items())
        ]
        try:
            acc = self._accounts([k for _r, _b, k in keys.values()], workload_keys)
            cand, skipped = self._membership(acc, hits, list(groups.values()))
            entries = self._resolution(acc, cand)
            final = self._reps(acc, entries, skipped)
            return self._write(acc, final, skipped)
        finally:
            # A session that runs on (a test's, a notebook's) does not keep this run's tables.
            for table in self.cached:
                table.unpersist()

    # ---- reading ---------------------------------------------------------------------------------

    def _distinct_keys(self, fields: tuple[str, ...]) -> Keys:
        """The distinct combinations of the fields' raw values, each numbered (__key) in Spark; the
        same rows typed on the driver as the local engine types a file; and the numbered
        combinations as a Spark table, for each account to find its own."""
        F = self.F
        columns = key_columns(fields, self.columns)
        if not columns:
            return (
                pl.DataFrame(),
                typed_keys(pl.DataFrame({"_": []}), self.plan, self.job.shown_as, self.header),
                None,
            )
        from pyspark.sql import Window

        order = [F.col(_quoted(c)).asc_nulls_first() for c in columns]
        numbered = (
            self.src.select(*[F.col(_quoted(c)) for c in columns])
            .distinct()
            .withColumn("__key", F.row_number().over(Window.orderBy(*order)) - 1)
        )
        # Kept as computed: the numbers must be the same when the accounts are joined to them.
        numbered = numbered.localCheckpoint()
        raw_with_key = to_polars(numbered)
        raw = raw_with_key.drop("__key")
        book = typed_keys(raw, self.plan, self.job.shown_as, self.header)
        return raw_with_key, book, numbered

    def _rule_hits(self, number: int, keys: Keys, territories: list[int]) -> DataFrame:
        """(g, parent, key, t, ok): for each distinct combination of this group's fields, the
        territories of the group whose own rule is TRUE or UNKNOWN for it."""
        F = self.F
        raw, book, _numbered = keys
        fields = sorted(set().union(*(self.compiled.rule_fields[i] for i in territories)))
        self.progress(
            f"Evaluating {len(territories):,} rules on {raw.height:,} combinations of {', '.join(fields)}",
            None,
        )
        lowered = evaluation_frame(book.frame, book.columns, book.schema, fields)
        if "__key" in raw.columns:
            key = raw.get_column("__key").gather(lowered.get_column("__row"))
        else:
            key = lowered.get_column("__row")
        view = f"eval_{number}"
        to_spark(self.spark, lowered.drop("__row").with_columns(key.alias("__key"))).createOrReplaceTempView(
            view
        )
        parts = []
        for start in range(0, len(territories), RULES_PER_QUERY):
            batch = territories[start : start + RULES_PER_QUERY]
            # Each batch computed alone: one plan holding thousands of rules took Spark's optimiser
            # minutes, where a batch takes seconds.
            parts.append(
                self.spark.sql(_rules_query(self.plan, batch, view).sql(dialect="spark")).localCheckpoint()
            )
        found = parts[0]
        for part in parts[1:]:
            found = found.unionByName(part)
        tree = self.tree.select("t", F.coalesce("parent", F.lit(-1)).alias("parent"))
        hits = found.join(F.broadcast(tree), "t").select("parent", F.col("__key").alias("key"), "t", "ok")
        # Computed now and cut from its plan: a cached plan of thousands of rules, analysed again
        # in every query of the membership, ran a 1 GB driver out of memory on 3,000 accounts.
        return hits.localCheckpoint()

    def _accounts(self, numbered: list[DataFrame | None], workload_keys: Keys | None) -> DataFrame:
        """Each account's id and owner (as text, trimmed as the local reader trims them), its
        workload, and its combination (k<g>) for each group of rules; ids checked present and
        unique as the local engine checks them."""
        F = self.F
        self.progress("Checking account ids", None)
        src = self.src
        parts = [self._id_text(ACCOUNT_ID).alias("row"), self._id_text(OWNER_ID).alias("owner_id")]
        for g, table in enumerate(numbered):
            src = _with_key(src, table, f"k{g}")
        workload = self._workload(workload_keys)
        if workload_keys is not None:
            src = _with_key(src, self._workload_values(workload_keys), "__workload")
        acc = src.select(*parts, workload.alias("workload"), *[F.col(f"k{g}") for g in range(len(numbered))])
        acc = self._kept(acc)
        total, empty, distinct = acc.agg(
            F.count(F.lit(1)), F.count(F.lit(1)) - F.count("row"), F.countDistinct("row")
        ).first()
        if empty:
            raise BadInput.at(
                f"account_id is empty ({empty} rows without one)", self.job.shown_as, None, None, ACCOUNT_ID
            )
        if distinct != total:
            first = acc.groupBy("row").count().where("count > 1").orderBy("row").first()
            assert first is not None
            raise BadInput.at(
                f"duplicate account_id {first['row']!r} ({int(total) - int(distinct)} rows repeat an id)",
                self.job.shown_as,
                None,
                None,
                ACCOUNT_ID,
            )
        self.accounts = int(total)
        if self.plan.workload is not None:
            negative = acc.agg(F.min("workload")).first()[0]
            if negative is not None and float(negative) < 0:
                raise BadInput.at(
                    f"workload must not be negative, got {float(negative):g}",
                    self.job.shown_as,
                    None,
                    None,
                    self.columns.get(self.plan.workload, self.plan.workload),
                )
        return acc

    def _workload(self, workload_keys: Keys | None) -> Column:
        """1 without a workload field, else its value typed by the local engine's reader (once per
        distinct value), NULL as 0."""
        F = self.F
        field = self.plan.workload
        if field is None:
            return F.lit(1.0).cast("double")
        if workload_keys is None:
            return F.lit(0.0).cast("double")
        return F.coalesce(F.col("__workload"), F.lit(0.0))

    def _workload_values(self, workload_keys: Keys) -> DataFrame:
        """Each distinct raw workload with its value as the local reader types it (in __key, the
        column _with_key takes)."""
        raw, book, numbered = workload_keys
        assert self.plan.workload is not None and numbered is not None
        values = book.frame.get_column(book.columns[self.plan.workload]).cast(pl.Float64, strict=False)
        mapping = to_spark(self.spark, pl.DataFrame({"__key": raw.get_column("__key"), "__value": values}))
        return numbered.join(mapping, "__key").drop("__key").withColumnRenamed("__value", "__key")

    def _id_text(self, field: str) -> Column:
        """An id column as text, trimmed as the local reader trims it, blank as NULL."""
        F = self.F
        column = self.columns.get(field)
        if column is None:
            return F.lit(None).cast("string")
        kind = self.src.schema[column].dataType.typeName()
        value = F.col(_quoted(column))
        if kind == "string":
            trimmed = F.regexp_replace(value, EDGE_SPACES, "")
            trimmed = F.when(value.rlike(EDGE_SPACE), trimmed).otherwise(value)
            return F.when(trimmed != "", trimmed)
        if kind in ("byte", "short", "integer", "long"):
            return value.cast("string")
        raise BadInput.at(
            f"{field} must be text or whole numbers, not {kind}", self.job.shown_as, None, None, column
        )

    # ---- membership ------------------------------------------------------------------------------

    def _membership(
        self, acc: DataFrame, hits: list[DataFrame], groups: list[list[int]]
    ) -> tuple[DataFrame, DataFrame]:
        """Members level by level down the tree: a child's members are those of its parent's whose
        combination of values makes the child's rule TRUE (a join on parent and combination).
        Candidates are members with no member child; an account is skipped on NULL when a rule it
        reached was UNKNOWN."""
        F = self.F
        self.progress("Working out membership down the tree", None)
        territories = self.plan.territories
        deepest = max((t.depth for t in territories), default=0)
        depths = [{territories[i].depth for i in group} for group in groups]
        rule_less = self.tree.where(~F.col("has_rule")).select("t", "parent", "depth")
        levels: list[DataFrame] = []
        unknown: list[DataFrame] = []
        for depth in range(deepest + 1):
            here = [g for g, found in enumerate(depths) if depth in found]
            below = [f"k{g}" for g, found in enumerate(depths) if max(found) > depth]
            if depth == 0:
                read = sorted({f"k{g}" for g in here} | set(below))
                above = acc.select("row", *read).withColumn("t", F.lit(-1))
            else:
                above = levels[-1]
            parts = []
            for g in here:
                found = hits[g].select(
                    F.col("parent").alias("_at"), F.col("key").alias("_k"), F.col("t").alias("_t"), "ok"
                )
                parts.append(
                    above.join(found, (above["t"] == found["_at"]) & (above[f"k{g}"] == found["_k"])).select(
                        "row",
                        F.col("_t").alias("t"),
                        above["t"].alias("parent"),
                        "ok",
                        *[above[k] for k in below],
                    )
                )
            plain = F.broadcast(
                rule_less.where(F.col("depth") == depth).select(
                    F.col("t").alias("_t"), F.coalesce("parent", F.lit(-1)).alias("_at")
                )
            )
            parts.append(
                above.join(plain, above["t"] == plain["_at"]).select(
                    "row",
                    F.col("_t").alias("t"),
                    above["t"].alias("parent"),
                    F.lit(True).alias("ok"),
                    *[above[k] for k in below],
                )
            )
            reached = parts[0]
            for part in parts[1:]:
                reached = reached.unionByName(part)
            reached = reached.localCheckpoint()
            unknown.append(reached.where(F.col("ok").isNull()).select("row"))
            levels.append(reached.where(F.col("ok")).drop("ok").localCheckpoint())
        cand_parts = []
        for depth, level in enumerate(levels):
            if depth < deepest:
                child = levels[depth + 1].select(F.col("row").alias("_row"), F.col("parent").alias("_at"))
                level = level.join(
                    child, (level["row"] == child["_row"]) & (level["t"] == child["_at"]), "left_anti"
                )
            cand_parts.append(level.select("row", "t"))
        cand = cand_parts[0]
        for part in cand_parts[1:]:
            cand = cand.unionByName(part)
        skipped = unknown[0]
        for part in unknown[1:]:
            skipped = skipped.unionByName(part)
        return cand, skipped.distinct().localCheckpoint()

    # ---- resolution and reps ---------------------------------------------------------------------

    def _resolution(self, acc: DataFrame, cand: DataFrame) -> DataFrame:
        """Per account and layer: the winner by rank, a tie when the runner-up has its priority and
        depth, and the other candidates in resolution order; an account in no primary territory
        has a primary row of its own."""
        F = self.F
        self.progress("Resolving overlaps", None)
        primary = self.plan.layers.index(PRIMARY)
        tree = F.broadcast(self.tree.select("t", "layer", "rank", "priority", "depth"))
        ranked = (
            cand.join(tree, "t")
            .groupBy("row", "layer")
            .agg(F.sort_array(F.collect_list(F.struct("rank", "t", "priority", "depth"))).alias("ts"))
        )
        first, second = F.get("ts", 0), F.get("ts", 1)  # get: NULL past the end (ANSI mode)
        others = F.array_join(F.transform(F.slice("ts", 2, 1 << 30), lambda x: x["t"].cast("string")), ",")
        entries = ranked.select(
            "row",
            "layer",
            first["t"].alias("t"),
            (
                (F.size("ts") > 1)
                & (first["priority"] == second["priority"])
                & (first["depth"] == second["depth"])
            ).alias("tie"),
            F.when(F.size("ts") > 1, others).otherwise(F.lit("")).alias("others"),
        )
        in_primary = entries.where(F.col("layer") == primary).select("row")
        alone = (
            acc.select("row")
            .join(in_primary, "row", "left_anti")
            .select(
                "row",
                F.lit(primary).alias("layer"),
                F.lit(-1).alias("t"),
                F.lit(False).alias("tie"),
                F.lit("").alias("others"),
            )
        )
        return entries.unionByName(alone).localCheckpoint()

    def _reps(self, acc: DataFrame, entries: DataFrame, skipped: DataFrame) -> DataFrame:
        """Each entry's rep and how it was chosen: none outside a territory, the only rep or none
        in a territory of one or none, and a pool's accounts shared out in account_id order by the
        local engine's code, one territory per group."""
        F = self.F
        tree = F.broadcast(self.tree.select("t", "reps", "only_rep"))
        outside = (
            entries.where(F.col("t") < 0)
            .join(skipped.withColumn("null_flag", F.lit(True)), "row", "left")
            .select(
                "row",
                "layer",
                "t",
                "tie",
                "others",
                F.lit(int(RepChoice.UNASSIGNED)).alias("how"),
                F.lit(None).cast("string").alias("rep_id"),
                F.coalesce("null_flag", F.lit(False)).alias("null_flag"),
            )
        )
        placed = entries.join(tree, "t")
        single = placed.where(F.col("reps") <= 1).select(
            "row",
            "layer",
            "t",
            "tie",
            "others",
            F.when(F.col("reps") == 0, int(RepChoice.VACANT)).otherwise(int(RepChoice.ONLY_REP)).alias("how"),
            F.col("only_rep").alias("rep_id"),
            F.lit(False).alias("null_flag"),
        )
        pooled = placed.where(F.col("reps") > 1).join(acc.select("row", "owner_id", "workload"), "row")
        if self.plan.territories and any(len(t.reps) > 1 for t in self.plan.territories):
            self.progress("Sharing accounts among pools of reps", None)
        shared = (
            pooled.select("row", "layer", "t", "tie", "others", "owner_id", "workload")
            .groupBy("t")
            .applyInArrow(_pool_sharer([t.reps for t in self.plan.territories]), POOL_OUT)
            .withColumn("null_flag", F.lit(False))
        )
        return outside.unionByName(single).unionByName(shared).localCheckpoint()

    def _write(self, acc: DataFrame, final: DataFrame, skipped: DataFrame) -> AssignTotals:
        """Reasons written once per distinct situation and joined back; the rows written in
        account_id and layer order."""
        F = self.F
        self.progress("Writing reasons", None)
        keys = ["layer", "t", "others", "null_flag", "how", "rep_key"]
        final = final.withColumn("rep_key", F.coalesce("rep_id", F.lit("")))
        situations = to_polars(final.select(*keys).distinct().orderBy(*keys))
        texts = texts_of_situations(self.compiled, situations)
        table = to_spark(
            self.spark,
            pl.concat([situations, texts.rename({"layer": "layer_text"})], how="horizontal"),
        )
        rows = (
            final.join(F.broadcast(table), keys)
            .join(acc.select(F.col("row").alias("account_id"), "workload", F.col("row")), "row")
            .withColumn("_layer", F.col("layer"))
            .withColumn("layer", F.col("layer_text"))
            .select(*RESULT_COLUMNS, "_layer")
        )
        self._write_rows(rows)
        primary = self.plan.layers.index(PRIMARY)
        counted = final.agg(
            F.count(F.lit(1)),
            F.count(F.when((F.col("layer") == primary) & (F.col("t") < 0), 1)),
            F.count(F.when(F.col("tie"), 1)),
        ).first()
        assert counted is not None
        return AssignTotals(
            accounts=self.accounts,
            rows=int(counted[0]),
            unassigned=int(counted[1]),
            ties=int(counted[2]),
            skipped_on_null=int(skipped.count()),
            warnings=self.warnings,
        )

    def _write_rows(self, rows: DataFrame) -> None:
        self.progress(f"Writing rows to {self.job.out.uri or self.job.out.path}", None)
        write_in_order(rows, self.job.out, RESULT_COLUMNS, ("account_id", "_layer"), _empty_rows())


def _empty_rows() -> exp.Select:
    """No rows, with the columns and types every engine writes."""
    text = exp.DataType.build("VARCHAR")
    kinds = {"tie": exp.DataType.build("BOOLEAN"), "workload": exp.DataType.build("DOUBLE")}
    columns = [exp.Cast(this=exp.Null(), to=kinds.get(c, text)).as_(c, quoted=True) for c in RESULT_COLUMNS]
    return exp.select(*columns).where(exp.false())


def _with_key(src: DataFrame, table: DataFrame | None, name: str) -> DataFrame:
    """`src` with each account's number (`name`) in `table`, the numbered combinations of some of
    its columns: a join on those columns, NULL matching NULL. No columns: no number (NULL)."""
    from pyspark.sql import functions as F

    if table is None:
        return src.withColumn(name, F.lit(None).cast("long"))
    columns = [c for c in table.columns if c != "__key"]
    renamed = table.select(
        *[F.col(_quoted(c)).alias(f"__raw{i}") for i, c in enumerate(columns)], F.col("__key").alias(name)
    )
    on = [F.col(_quoted(c)).eqNullSafe(F.col(f"__raw{i}")) for i, c in enumerate(columns)]
    joined = src.join(F.broadcast(renamed), on, "left")
    return joined.drop(*[f"__raw{i}" for i in range(len(columns))])


def _pool_sharer(reps: list[tuple[str, ...]]) -> Any:
    """The grouped map for one territory's pool entries, as Arrow: shared in account_id order
    (Python's order of strings, which is their UTF-8 bytes' order, as DuckDB's and polars') by the
    local engine's choose_reps."""

    def share(table: pa.Table) -> pa.Table:
        pool = pl.from_arrow(table)
        assert isinstance(pool, pl.DataFrame)
        chosen = share_pools(pool.sort("row"), reps, ["row", "layer", "t", "tie", "others"])
        chosen = chosen.with_columns(pl.col("how").cast(pl.Int32))
        return plain_strings(chosen.to_arrow())

    return share


def _rules_query(plan: Plan, territories: list[int], view: str) -> exp.Select:
    """(__key, t, ok) for each row of `view` and each territory whose rule is TRUE or UNKNOWN
    there: one scan evaluating a list of rules, exploded (inline of an array of structs)."""
    pairs = []
    for i in territories:
        rule = plan.territories[i].rule
        assert rule is not None
        ok = to_sql_tree(rule, "spark", columns_lowered=True)
        pairs.append(
            exp.func(
                "named_struct",
                exp.Literal.string("t"),
                exp.Literal.number(i),
                exp.Literal.string("ok"),
                exp.Cast(this=ok, to=exp.DataType.build("BOOLEAN")),
            )
        )
    each = exp.select(exp.column("__key"), exp.func("inline", exp.Array(expressions=pairs))).from_(view)
    found = exp.not_(exp.Is(this=exp.column("ok"), expression=exp.false()))
    return exp.select("__key", "t", "ok").from_(each.subquery("evaluated")).where(found)


def _quoted(column: str) -> str:
    """A file's column as Spark's col() takes it: back-quoted, so that dots and spaces stay in it."""
    return "`" + column.replace("`", "``") + "`"
