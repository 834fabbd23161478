"""The duckdb engine: the local engine's semantics, out of core, with bounded memory.

Each rule is evaluated once per distinct combination of the fields it reads (typed and
lower-cased by the same code as the local engine's, then compiled to DuckDB SQL from the same
AST); membership and resolution are joins and aggregates over (account, territory) pairs; pools
share their accounts in Python by the local engine's code, one territory at a time, over Arrow
batches; reasons are written by the local engine's function once per distinct situation.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import polars as pl
import pyarrow as pa
from sqlglot import exp

from territorial.backends.accounts_in import plan_reads, wanted_columns
from territorial.backends.job import AssignJob, AssignTotals, KpiJob, ScoreJob
from territorial.backends.kpi_files import kpi_query
from territorial.backends.parquet_out import write_rows
from territorial.backends.plan_tables import (
    TEXT_COLUMNS,
    key_columns,
    rule_groups,
    share_pools,
    texts_of_situations,
    tree_table,
    typed_keys,
    warnings_on_keys,
)
from territorial.backends.score_batches import score_in_batches
from territorial.domain.book import AccountBook
from territorial.domain.fields import ACCOUNT_ID, OWNER_ID, canonical
from territorial.domain.plan import PRIMARY, Plan
from territorial.engine.compiled import CompiledPlan
from territorial.engine.pools import RepChoice
from territorial.engine.records import evaluation_frame
from territorial.errors import BadInput, Problem
from territorial.progress import Progress
from territorial.rules.to_sql import to_sql_tree

# polars' strip_chars() (the local reader's) removes Unicode White_Space, DuckDB's trim only spaces:
# Python's isspace() less the four separators \x1c-\x1f, which Rust does not count as white space.
WHITESPACE = "".join(chr(c) for c in range(0x3001) if chr(c).isspace() and not 0x1C <= c <= 0x1F)
SPACE_CLASS = "[" + "".join(f"\\x{{{ord(c):04x}}}" for c in WHITESPACE) + "]"
EDGE_SPACE = f"^{SPACE_CLASS}|{SPACE_CLASS}$"  # a RE2 pattern: white space first or last

# Rules evaluated per query, so that no one statement holds a whole plan's rules.
RULES_PER_QUERY = 500

# Pool entries fetched from DuckDB at a time; a territory's pool is shared out once it is complete.
POOL_BATCH_ROWS = 500_000


def _name(column: str) -> str:
    """A column of the file as a DuckDB identifier, quoted by sqlglot's generator."""
    return exp.column(column, quoted=True).sql(dialect="duckdb")


def _text(value: str) -> str:
    """A string literal, written by sqlglot's generator."""
    return exp.Literal.string(value).sql(dialect="duckdb")


class DuckdbEngine:
    """Runs the plan (or scores the rows) inside DuckDB, spilling to `job.temp_dir` past
    `job.memory_limit`."""

    name = "duckdb"

    def assign(self, job: AssignJob, progress: Progress) -> AssignTotals:
        with spilling(job.memory_limit, job.temp_dir) as (connection, _spill):
            return _Run(connection, job, progress).totals()

    def score(self, job: ScoreJob, progress: Progress) -> int:
        with spilling(job.memory_limit, job.temp_dir) as (connection, spill):
            return score_in_batches(connection, Path(spill), job, progress)

    def kpis(self, job: KpiJob, progress: Progress) -> int:
        progress(f"Counting the KPIs of {job.shown_as}", None)
        with spilling(None, None) as (connection, _spill):
            files = exp.Array(expressions=[exp.Literal.string(s) for s in job.sources])
            query = kpi_query(job, exp.func("read_parquet", files).as_("assignment"), "duckdb")
            connection.execute(f"CREATE TABLE figures AS {query.sql(dialect='duckdb')}")
            write_rows(connection, exp.select("*").from_("figures"), job.out)
            counted = connection.execute("SELECT count(*) FROM figures").fetchone()
            return int(counted[0]) if counted else 0


@contextmanager
def spilling(
    memory_limit: str | None, temp_dir: Path | None
) -> Iterator[tuple[duckdb.DuckDBPyConnection, str]]:
    """A DuckDB connection kept within `memory_limit`, spilling to a temporary folder (in
    `temp_dir`) that is removed at the end; the folder is also the run's own scratch space."""
    with tempfile.TemporaryDirectory(prefix="territorial-duckdb-", dir=temp_dir) as spill:
        config: dict[str, str | bool | int | float | list[str]] = {
            "temp_directory": spill,
            "preserve_insertion_order": False,
        }
        if memory_limit:
            config["memory_limit"] = memory_limit
        try:
            connection = duckdb.connect(config=config)
        except duckdb.Error as err:
            raise BadInput.at(f"DuckDB refused the settings: {err}", "--memory-limit") from None
        with connection:
            yield connection, spill


class _Run:
    def __init__(self, connection: duckdb.DuckDBPyConnection, job: AssignJob, progress: Progress) -> None:
        self.db = connection
        self.job = job
        self.plan = job.plan
        self.compiled = CompiledPlan(job.plan)
        self.progress = progress
        self.warnings: list[Problem] = []

    def sql(self, query: str) -> None:
        """Run statements to the end (DuckDB takes no other work while a result is unread)."""
        self.db.execute(query).fetchall()

    def one(self, query: str) -> tuple[object, ...]:
        rows = self.db.execute(query).fetchall()
        return tuple(rows[0])

    def totals(self) -> AssignTotals:
        self.progress(f"Reading accounts from {self.job.shown_as}", None)
        self.db.read_parquet(list(self.job.sources), union_by_name=True).create_view("src")
        header = [str(c) for c in self.db.sql("SELECT * FROM src LIMIT 0").columns]
        self.columns = {canonical(c): c for c in wanted_columns(header, plan_reads(self.plan))}
        if ACCOUNT_ID not in self.columns:
            raise BadInput.at(f"the required column {ACCOUNT_ID} is missing", self.job.shown_as)
        self.header = header
        groups = self._rule_groups()
        books = {fields: self._distinct_keys(fields) for fields in groups}
        workload = self.plan.workload
        self.workload_keys = self._distinct_keys((workload,)) if workload in self.columns else None
        self.key_joins_extra = ""
        self._check_plan([*books.values(), *([self.workload_keys] if self.workload_keys else [])])
        self._tree()
        self.sql("CREATE TABLE hits (g INTEGER, parent INTEGER, key BIGINT, t INTEGER, ok BOOLEAN)")
        self.key_joins: list[str] = []
        for number, (fields, territories) in enumerate(groups.items()):
            self._rule_hits(number, books[fields], territories)
        self._accounts()
        self._membership()
        self._resolution()
        self._pools()
        return self._write()

    # ---- reading ---------------------------------------------------------------------------------

    def _rule_groups(self) -> dict[tuple[str, ...], list[int]]:
        return rule_groups(self.plan, self.compiled)

    def _distinct_keys(self, fields: tuple[str, ...]) -> tuple[pl.DataFrame, AccountBook]:
        """The distinct combinations of the fields' raw values, and the same rows typed as the local
        engine types a file (null words, blanks, postal codes, declared types)."""
        columns = key_columns(fields, self.columns)
        if not columns:
            return pl.DataFrame(), typed_keys(
                pl.DataFrame({"_": []}), self.plan, self.job.shown_as, self.header
            )
        listed = ", ".join(_name(c) for c in columns)
        raw = self.db.sql(f"SELECT DISTINCT {listed} FROM src").pl()
        return raw, typed_keys(raw, self.plan, self.job.shown_as, self.header)

    def _check_plan(self, books: list[tuple[pl.DataFrame, AccountBook]]) -> None:
        """The plan checked against the fields' types, as the local engine checks it."""
        typed = [book for _raw, book in books]
        has_ids = ACCOUNT_ID in self.columns
        self.warnings = warnings_on_keys(self.plan, typed, has_ids, self.job.shown_as, self.header)

    def _accounts(self) -> None:
        """`acc`: each account's id, owner and workload, with the raw fields the rules read;
        ids checked present and unique as the local engine checks them."""
        self.progress("Checking account ids", None)
        parts = [f"{_id_text(self, ACCOUNT_ID)} AS account_id", f"{_id_text(self, OWNER_ID)} AS owner_id"]
        parts.append(f"{self._workload()} AS workload")
        # Each account's combination of values in each group of rules: rules were evaluated per combination.
        keys = [f"k{g}.__key AS k{g}" for g in range(len(self.key_joins))]
        self.sql(
            f"CREATE TABLE acc AS SELECT {', '.join(parts + keys)} FROM src "
            f"{' '.join(self.key_joins)} {self.key_joins_extra}"
        )
        for g in range(len(self.key_joins)):
            self.sql(f"DROP TABLE keys_{g}")
        total, empty, distinct = self.one(
            "SELECT count(*), count(*) - count(account_id), count(DISTINCT account_id) FROM acc"
        )
        if empty:
            raise BadInput.at(
                f"account_id is empty ({empty} rows without one)", self.job.shown_as, None, None, ACCOUNT_ID
            )
        if distinct != total:
            (value,) = self.one(
                "SELECT account_id FROM acc GROUP BY account_id HAVING count(*) > 1 "
                "ORDER BY account_id LIMIT 1"
            )
            raise BadInput.at(
                f"duplicate account_id {value!r} ({int(total) - int(distinct)} rows repeat an id)",  # type: ignore[call-overload]
                self.job.shown_as,
                None,
                None,
                ACCOUNT_ID,
            )
        self.accounts = int(total)  # type: ignore[call-overload]
        if self.plan.workload is not None:
            (negative,) = self.one("SELECT min(workload) FROM acc")
            if negative is not None and float(negative) < 0:  # type: ignore[arg-type]
                raise BadInput.at(
                    f"workload must not be negative, got {float(negative):g}",  # type: ignore[arg-type]
                    self.job.shown_as,
                    None,
                    None,
                    self.columns.get(self.plan.workload, self.plan.workload),
                )

    def _workload(self) -> str:
        """Each account's workload: 1 without a workload field, else its value typed by the local
        engine's reader (once per distinct value), NULL as 0."""
        field = self.plan.workload
        if field is None:
            return "1.0::DOUBLE"
        if self.workload_keys is None:
            return "0.0::DOUBLE"
        raw, book = self.workload_keys
        column = self.columns[field]
        values = book.frame.get_column(book.columns[field]).cast(pl.Float64, strict=False)
        self.db.register("workload_view", pl.DataFrame({"raw": raw.get_column(column), "value": values}))
        self.sql("CREATE TABLE workload_map AS SELECT * FROM workload_view")
        self.db.unregister("workload_view")
        self.key_joins_extra = f"LEFT JOIN workload_map wl ON wl.raw IS NOT DISTINCT FROM src.{_name(column)}"
        return "coalesce(wl.value, 0.0)"

    def accounts_exist(self) -> bool:
        return bool(self.one("SELECT count(*) > 0 FROM (SELECT 1 FROM src LIMIT 1)")[0])

    # ---- membership ------------------------------------------------------------------------------

    def _rule_hits(self, number: int, keys: tuple[pl.DataFrame, AccountBook], territories: list[int]) -> None:
        """`hits`: for each distinct combination of this group's fields, the territories of the group
        whose own rule is TRUE or UNKNOWN for it; `keys_N`: each combination's raw values, for the
        accounts to find theirs."""
        raw, book = keys
        fields = sorted(set().union(*(self.compiled.rule_fields[i] for i in territories)))
        self.progress(
            f"Evaluating {len(territories):,} rules on {raw.height:,} combinations of {', '.join(fields)}",
            None,
        )
        lowered = evaluation_frame(book.frame, book.columns, book.schema, fields)
        key_table = f"keys_{number}"
        keyed = raw.rename({c: f"raw_{c}" for c in raw.columns}).with_columns(
            lowered.get_column("__row").alias("__key")
        )
        self.db.register("keys_view", keyed)
        self.sql(f"CREATE TABLE {key_table} AS SELECT * FROM keys_view")
        self.db.unregister("keys_view")
        # The rules read the values typed and lower-cased as the local engine reads them.
        evaluated = f"eval_{number}"
        self.db.register("eval_view", lowered.rename({"__row": "__key"}))
        self.sql(f"CREATE TABLE {evaluated} AS SELECT * FROM eval_view")
        self.db.unregister("eval_view")
        hits = f"hits_{number}"
        self.sql(f"CREATE TABLE {hits} (__key BIGINT, t INTEGER, ok BOOLEAN)")
        for start in range(0, len(territories), RULES_PER_QUERY):
            batch = territories[start : start + RULES_PER_QUERY]
            self.sql(f"INSERT INTO {hits} {_rules_query(self.plan, batch, evaluated).sql(dialect='duckdb')}")
        self.sql(
            f"INSERT INTO hits SELECT {number}, coalesce(tr.parent, -1), h.__key, h.t, h.ok "
            f"FROM {hits} h JOIN tree tr ON tr.t = h.t"
        )
        self.sql(f"DROP TABLE {hits}; DROP TABLE {evaluated}")
        on = " AND ".join(
            f"src.{_name(c)} IS NOT DISTINCT FROM k{number}.{_name('raw_' + c)}" for c in raw.columns
        )
        self.key_joins.append(f"LEFT JOIN {key_table} k{number} ON {on or 'TRUE'}")

    def _tree(self) -> None:
        self.db.register("tree_view", tree_table(self.plan, self.compiled))
        self.sql("CREATE TABLE tree AS SELECT * FROM tree_view")
        self.db.unregister("tree_view")

    def _membership(self) -> None:
        """Members level by level down the tree: a child's members are those of its parent's whose
        combination of values makes the child's rule TRUE (a join on parent and combination, so
        that the work follows the tree, not accounts × territories). Candidates are members with no
        member child; an account is skipped on NULL when a rule it reached was UNKNOWN."""
        self.progress("Working out membership down the tree", None)
        deepest = max((t.depth for t in self.plan.territories), default=0)
        depths = [
            {self.plan.territories[i].depth for i in territories}
            for territories in self._rule_groups().values()
        ]
        self.sql("CREATE TABLE unknown (row BIGINT)")
        for depth in range(deepest + 1):
            # Each level scans its parent level once per group of rules at this depth, and carries
            # only the combinations that rules further down still read.
            here = [g for g, found in enumerate(depths) if depth in found]
            below = [g for g, found in enumerate(depths) if max(found) > depth]
            parts = []
            if depth == 0:
                carried = "".join(f", a.k{g}" for g in below)
                for g in here:
                    parts.append(
                        f"SELECT a.rowid AS row, h.t, -1 AS parent, h.ok{carried} FROM acc a "
                        f"JOIN hits h ON h.g = {g} AND h.parent = -1 AND h.key = a.k{g}"
                    )
                parts.append(
                    f"SELECT a.rowid AS row, tr.t, -1 AS parent, TRUE AS ok{carried} FROM acc a, tree tr "
                    "WHERE tr.depth = 0 AND NOT tr.has_rule"
                )
            else:
                carried = "".join(f", m.k{g}" for g in below)
                above = f"m{depth - 1}"
                for g in here:
                    parts.append(
                        f"SELECT m.row, h.t, m.t AS parent, h.ok{carried} FROM {above} m "
                        f"JOIN hits h ON h.g = {g} AND h.parent = m.t AND h.key = m.k{g}"
                    )
                parts.append(
                    f"SELECT m.row, tr.t, m.t AS parent, TRUE AS ok{carried} FROM {above} m "
                    f"JOIN tree tr ON tr.parent = m.t WHERE tr.depth = {depth} AND NOT tr.has_rule"
                )
            self.sql(f"CREATE TABLE reached AS {' UNION ALL '.join(parts)}")
            self.sql(f"CREATE TABLE m{depth} AS SELECT * EXCLUDE (ok) FROM reached WHERE ok")
            self.sql("INSERT INTO unknown SELECT row FROM reached WHERE ok IS NULL")
            self.sql("DROP TABLE reached")
        parts = []
        for depth in range(deepest + 1):
            if depth < deepest:
                parts.append(
                    f"SELECT row, t FROM m{depth} m WHERE NOT EXISTS (SELECT 1 FROM m{depth + 1} c "
                    "WHERE c.row = m.row AND c.parent = m.t)"
                )
            else:
                parts.append(f"SELECT row, t FROM m{depth}")
        self.sql(f"CREATE TABLE cand AS {' UNION ALL '.join(parts)}")
        for depth in range(deepest + 1):
            self.sql(f"DROP TABLE m{depth}")
        self.sql("DROP TABLE hits")
        self.sql("CREATE TABLE skipped AS SELECT DISTINCT row FROM unknown; DROP TABLE unknown")

    # ---- resolution and reps ---------------------------------------------------------------------

    def _resolution(self) -> None:
        """Per account and layer: the winner by rank, a tie when the runner-up has its priority and
        depth, and the other candidates in resolution order; an account in no primary territory
        has a primary row of its own."""
        self.progress("Resolving overlaps", None)
        primary = self.plan.layers.index(PRIMARY)
        layers = len(self.plan.layers)
        # One BIGINT per account and layer groups faster than the pair; most accounts have one
        # candidate per layer, so only the others are listed in resolution order.
        self.sql(
            f"CREATE TABLE ranked AS SELECT c.row * {layers} + tr.layer AS slot, count(*) AS n, "
            "arg_min(c.t, tr.rank) AS winner FROM cand c JOIN tree tr ON tr.t = c.t GROUP BY slot"
        )
        self.sql(
            f"CREATE TABLE listed AS SELECT c.row * {layers} + tr.layer AS slot, "
            "list(c.t ORDER BY tr.rank) AS ts FROM cand c JOIN tree tr ON tr.t = c.t "
            f"WHERE c.row IN (SELECT slot // {layers} FROM ranked WHERE n > 1) "
            "GROUP BY slot HAVING count(*) > 1"
        )
        self.sql("DROP TABLE cand")
        self.sql(
            "CREATE TABLE entries AS "
            f"SELECT r.slot // {layers} AS row, (r.slot % {layers})::INTEGER AS layer, r.winner AS t, "
            "coalesce(l.ts IS NOT NULL AND w.priority = ru.priority AND w.depth = ru.depth, false) AS tie, "
            "array_to_string(l.ts[2:], ',') AS others "
            "FROM ranked r JOIN tree w ON w.t = r.winner LEFT JOIN listed l ON l.slot = r.slot "
            "LEFT JOIN tree ru ON ru.t = l.ts[2] "
            f"UNION ALL SELECT a.rowid, {primary}, -1, false, NULL FROM acc a "
            f"WHERE NOT EXISTS (SELECT 1 FROM ranked r WHERE r.slot = a.rowid * {layers} + {primary})"
        )
        self.sql("DROP TABLE ranked; DROP TABLE listed")

    def _pools(self) -> None:
        """A pool's accounts are shared in account_id order by the local engine's code: fetched
        ordered by territory and account_id, and handed over one complete territory at a time."""
        self.sql(
            "CREATE TABLE pool_reps (row BIGINT, layer INTEGER, t INTEGER, tie BOOLEAN, others VARCHAR, "
            "how TINYINT, rep_id VARCHAR)"
        )
        (count,) = self.one("SELECT count(*) FROM entries e JOIN tree tr ON tr.t = e.t WHERE tr.reps > 1")
        if not count:
            return
        self.progress(f"Sharing {count:,} accounts among pools of reps", None)
        # The relation API streams in ORDER BY order; execute()'s Arrow reader did not, in parallel.
        reader = (
            self.db.cursor()
            .sql(
                "SELECT e.row, e.layer, e.t, e.tie, e.others, a.account_id, a.owner_id, a.workload "
                "FROM entries e "
                "JOIN tree tr ON tr.t = e.t JOIN acc a ON a.rowid = e.row WHERE tr.reps > 1 "
                "ORDER BY e.t, a.account_id"
            )
            .to_arrow_reader(POOL_BATCH_ROWS)
        )
        writer = self.db.cursor()
        reps = [t.reps for t in self.plan.territories]
        for pool in _whole_territories(reader):
            chosen = share_pools(pool, reps, ["row", "layer", "t", "tie", "others"])
            writer.register("chosen", chosen)
            writer.execute("INSERT INTO pool_reps SELECT * FROM chosen")
            writer.unregister("chosen")

    def _write(self) -> AssignTotals:
        """Reps and how they were chosen, reasons written once per distinct situation, and the rows
        written in account_id and layer order."""
        self.progress("Writing reasons", None)
        # Three parts rather than joins over every row: accounts in no territory (which may have
        # been skipped on NULL), territories of one rep or none, and the pools' rows as shared out.
        self.sql(
            "CREATE TABLE final AS "
            f"SELECT e.row, e.layer, e.t, e.tie, e.others, {int(RepChoice.UNASSIGNED)}::TINYINT AS how, "
            "NULL::VARCHAR AS rep_id, s.row IS NOT NULL AS null_flag "
            "FROM entries e LEFT JOIN skipped s ON s.row = e.row WHERE e.t < 0 "
            "UNION ALL SELECT e.row, e.layer, e.t, e.tie, e.others, "
            f"(CASE WHEN tr.reps = 0 THEN {int(RepChoice.VACANT)} "
            f"ELSE {int(RepChoice.ONLY_REP)} END)::TINYINT, "
            "tr.only_rep, false FROM entries e JOIN tree tr ON tr.t = e.t WHERE tr.reps <= 1 "
            "UNION ALL SELECT row, layer, t, tie, others, how, rep_id, false FROM pool_reps"
        )
        self.sql("DROP TABLE entries; DROP TABLE pool_reps")
        # Each distinct situation numbered (sid); NULLs as '' so that a plain join finds them.
        self.sql(
            "CREATE TABLE sit AS SELECT (row_number() OVER () - 1)::INTEGER AS sid, * FROM "
            "(SELECT DISTINCT layer, t, coalesce(others, '') AS others, null_flag, how, "
            "coalesce(rep_id, '') AS rep_key FROM final)"
        )
        keys = self.db.sql("SELECT * FROM sit ORDER BY sid").pl()
        self.db.register("texts_view", texts_of_situations(self.compiled, keys).with_row_index("sid"))
        # One row of lists, indexed by sid: looking a text up is then a projection, which keeps
        # the rows' order (a join does not), so the long texts are never sorted. Each text is an
        # ENUM value, which the Parquet writer stores as its dictionary as it is, where it hashed
        # every reason of every row again (2.8 s against 6.0 s for 1.75M rows).
        lists = []
        for column in TEXT_COLUMNS:
            kind = f"{column}_text"
            quoted = _name(column)
            self.sql(
                f"CREATE TYPE {kind} AS ENUM (SELECT DISTINCT {quoted} FROM texts_view "
                f"WHERE {quoted} IS NOT NULL ORDER BY {quoted})"
            )
            lists.append(f"list({quoted}::{kind} ORDER BY sid) AS {quoted}")
        self.sql(f"CREATE TABLE texts AS SELECT {', '.join(lists)} FROM texts_view")
        self.db.unregister("texts_view")
        self.progress("Sorting the rows by account_id and layer", None)
        self.sql("SET preserve_insertion_order = true")  # tables and the file keep the ORDER BY's order
        self.sql(
            "CREATE TABLE ordered AS SELECT a.account_id, f.rep_id, f.tie, a.workload, s.sid "
            "FROM final f JOIN acc a ON a.rowid = f.row JOIN sit s ON s.layer = f.layer AND s.t = f.t "
            "AND s.others = coalesce(f.others, '') AND s.null_flag = f.null_flag AND s.how = f.how "
            "AND s.rep_key = coalesce(f.rep_id, '') ORDER BY a.account_id, f.layer"
        )
        self.progress(f"Writing rows to {self.job.out.path}", None)
        query = exp.maybe_parse(
            "SELECT o.account_id, x.layer[o.sid + 1] AS layer, x.territory_id[o.sid + 1] AS territory_id, "
            'x.territory_name[o.sid + 1] AS territory_name, o.rep_id, x."overlaps"[o.sid + 1] AS "overlaps", '
            "o.tie, x.reason[o.sid + 1] AS reason, o.workload FROM ordered o, texts x",
            dialect="duckdb",
            into=exp.Select,
        )
        write_rows(self.db, query, self.job.out)
        primary = self.plan.layers.index(PRIMARY)
        rows, unassigned, ties = self.one(
            f"SELECT count(*), count(*) FILTER (WHERE layer = {primary} AND t < 0), "
            "count(*) FILTER (WHERE tie) FROM final"
        )
        (skipped,) = self.one("SELECT count(*) FROM skipped")
        return AssignTotals(
            accounts=self.accounts,
            rows=int(rows),  # type: ignore[call-overload]
            unassigned=int(unassigned),  # type: ignore[call-overload]
            ties=int(ties),  # type: ignore[call-overload]
            skipped_on_null=int(skipped),  # type: ignore[call-overload]
            warnings=self.warnings,
        )


def _rules_query(plan: Plan, territories: list[int], table: str) -> exp.Select:
    """(__key, t, ok) for each row of `table` and each territory whose rule is TRUE or UNKNOWN
    there: one scan evaluating a list of rules, unnested (a UNION ALL of one SELECT per rule took
    three times as long to plan as to run)."""
    rules = []
    for i in territories:
        rule = plan.territories[i].rule
        assert rule is not None
        rules.append(to_sql_tree(rule, "duckdb", columns_lowered=True))
    numbers = exp.Array(expressions=[exp.Literal.number(i) for i in territories])
    each = exp.select(
        exp.column("__key"),
        exp.Unnest(expressions=[numbers]).as_("t"),
        exp.Unnest(expressions=[exp.Array(expressions=rules)]).as_("ok"),
    ).from_(table)
    found = exp.not_(exp.Is(this=exp.column("ok"), expression=exp.false()))
    return exp.select("*").from_(each.subquery("evaluated")).where(found)


def _whole_territories(reader: pa.RecordBatchReader) -> Iterator[pl.DataFrame]:
    """Batches of pool entries cut at territory boundaries: a territory's entries come together."""
    carried: pl.DataFrame | None = None
    for batch in reader:
        frame = pl.from_arrow(batch)
        assert isinstance(frame, pl.DataFrame)
        if carried is not None:
            frame = pl.concat([carried, frame], how="vertical_relaxed")
        if frame.height == 0:
            continue
        last = frame.get_column("t")[-1]
        complete = frame.filter(pl.col("t") != last)
        carried = frame.filter(pl.col("t") == last)
        if complete.height:
            yield complete
    if carried is not None and carried.height:
        yield carried


def _id_text(run: _Run, field: str) -> str:
    """An id column as text, trimmed as the local reader trims it, blank as NULL."""
    column = run.columns.get(field)
    if column is None:
        return "NULL::VARCHAR"
    (kind,) = (
        run.one(f"SELECT typeof({_name(column)}) FROM src LIMIT 1") if run.accounts_exist() else ("VARCHAR",)
    )
    if str(kind) == "VARCHAR":
        # trim() with a set of characters cost 2 s per million ids: only ids that start or end
        # with white space are trimmed (the test costs 0.1 s).
        name = _name(column)
        trimmed = f"nullif(trim({name}, {_text(WHITESPACE)}), '')"
        edged = f"regexp_matches({name}, {_text(EDGE_SPACE)})"
        return f"CASE WHEN {edged} THEN {trimmed} ELSE nullif({name}, '') END"
    if str(kind) in (
        "TINYINT",
        "SMALLINT",
        "INTEGER",
        "BIGINT",
        "HUGEINT",
        "UTINYINT",
        "USMALLINT",
        "UINTEGER",
        "UBIGINT",
    ):
        return f"CAST({_name(column)} AS VARCHAR)"
    raise BadInput.at(
        f"{field} must be text or whole numbers, not {kind}", run.job.shown_as, None, None, column
    )
