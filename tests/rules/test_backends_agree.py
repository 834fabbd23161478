"""The Python, polars and SQL compilers give the same three-valued answer for every rule and account."""

from __future__ import annotations

import dataclasses
import sqlite3
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import duckdb
import polars as pl
import psycopg
import pytest
import sqlglot
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from psycopg import sql as pgsql
from sqlglot import exp

from conftest import examples
from territorial.domain.fields import FieldType
from territorial.engine.records import ROW, evaluation_frame, prepare_record
from territorial.rules import to_polars, to_python
from territorial.rules.ast import (
    And,
    Between,
    CompareOp,
    Comparison,
    Expr,
    FieldRef,
    InList,
    IsNull,
    Like,
    Literal,
    Not,
    Or,
    Scalar,
    literals_of,
)
from territorial.rules.parser import parse_rule
from territorial.rules.text import to_text
from territorial.rules.to_sql import DIALECTS, to_sql
from territorial.rules.types import check_rule

SCHEMA: dict[str, FieldType] = {
    "s1": FieldType.STRING,
    "s2": FieldType.STRING,
    "n": FieldType.NUMBER,
    "b": FieldType.BOOLEAN,
    "d": FieldType.DATE,
}
# The source table's own column names, so that the SQL's column mapping and quoting are exercised too.
COLUMNS: dict[str, str] = {
    "s1": "Name",
    "s2": "billing city",
    "n": "Revenue",
    "b": "is_active",
    "d": "Created On",
}
ID = "id"

# Letters whose lower-casing is one plain character in Python, Rust (polars) and DuckDB alike; İ, ß
# and Σ lower-case differently (or to several characters) from one library to the next.
ACCENTED = "éÉüÜ"
# Wildcards, quotes, a backslash, a newline and regex metacharacters, so that escaping is tested
# in SQL string literals, in LIKE patterns and in the regular expressions built from them.
ASCII_CHARS = "aAbBxX019 \n%_'\\.*[(^$|?+{#&-~"
# The language only takes punctuation as an ESCAPE character (patterns are lower-cased, so a letter
# could not stay one).
ESCAPE_CHARS = "!#\\%_'"

NUMBERS = [-2.5, -1.0, -0.0, 0.0, 0.1, 0.30000000000000004, 1.0, 2.0, 2.5, 1e20, 123456.789, 1e-7]
DATES = [date(1999, 12, 31), date(2024, 1, 1), date(2024, 2, 29), date(2100, 1, 1)]

BOOL_OPS = [CompareOp.EQ, CompareOp.NE]
ALL_OPS = list(CompareOp)

TableRows = list[dict[str, Scalar]]


def recased(text: str) -> st.SearchStrategy[str]:
    """The same text with each letter's case chosen at random, as CRM data and rules mix cases."""
    flags = st.lists(st.booleans(), min_size=len(text), max_size=len(text))
    return flags.map(
        lambda ups: "".join(c.upper() if up else c.lower() for c, up in zip(text, ups, strict=True))
    )


@dataclasses.dataclass(frozen=True)
class Values:
    """The value strategies of one example: strings share a small vocabulary so that rules match."""

    word: st.SearchStrategy[str]  # a non-blank trimmed string, as the account loader stores
    literal_text: st.SearchStrategy[str]  # any string a rule may quote, blank ones included
    pattern: st.SearchStrategy[tuple[str, str | None]]  # a LIKE pattern and its escape character
    number: st.SearchStrategy[float]
    day: st.SearchStrategy[date]


def like_from(word: str, escape: str | None) -> st.SearchStrategy[str]:
    """A pattern made from a data word by swapping characters for wildcards or escaping them."""
    actions = ["keep", "keep", "any_run", "one_char", "run_before"] + (["escaped"] if escape else [])
    steps = st.lists(st.sampled_from(actions), min_size=len(word), max_size=len(word))
    # The language rejects a lone escape character at the end (SQL engines disagree about it);
    # written twice, it stands for itself.
    ends = ["", "%"] + ([escape * 2] if escape else [])

    def build(picked: list[str], lead: str, tail: str) -> str:
        out = [lead]
        for char, action in zip(word, picked, strict=True):
            if action == "keep":
                out.append(char)
            elif action == "any_run":
                out.append("%")
            elif action == "one_char":
                out.append("_")
            elif action == "run_before":
                out.append("%" + char)
            else:
                out.append(f"{escape}{char}")
        out.append(tail)
        return "".join(out)

    return st.builds(build, steps, st.sampled_from(["", "%"]), st.sampled_from(ends))


def ends_with_lone_escape(pattern: str, escape: str | None) -> bool:
    """Whether the pattern's last character is an escape character that escapes nothing."""
    i = 0
    while escape is not None and i < len(pattern):
        if pattern[i] == escape and i + 1 == len(pattern):
            return True
        i += 2 if pattern[i] == escape else 1
    return False


@st.composite
def example_values(draw: st.DrawFn) -> Values:
    alphabet = ASCII_CHARS + (ACCENTED if draw(st.booleans()) else "")
    text = st.text(alphabet, max_size=6)
    trimmed = text.map(str.strip).filter(bool)
    vocabulary = draw(st.lists(trimmed, min_size=1, max_size=5, unique_by=str.lower))
    known = st.sampled_from(vocabulary).flatmap(recased)
    word = st.one_of(known, known, known, trimmed)

    def pattern_for(escape: str | None) -> st.SearchStrategy[tuple[str, str | None]]:
        from_word = st.one_of(known, trimmed).flatmap(lambda w: like_from(w, escape))
        raw = st.text(alphabet + (escape or ""), max_size=6)
        # A word may itself end in the escape character ('#', a quote...), left bare by "keep".
        valid = st.one_of(from_word, from_word, raw).filter(lambda p: not ends_with_lone_escape(p, escape))
        return valid.map(lambda p: (p, escape))

    escape = st.one_of(st.none(), st.none(), st.sampled_from(ESCAPE_CHARS))
    # Numbers and dates also come from a per-example pool, so that arbitrary floats (and their
    # SQL spelling) are compared for equality with data, not only ordered against it.
    any_number = st.one_of(st.sampled_from(NUMBERS), st.floats(allow_nan=False, allow_infinity=False))
    numbers = st.sampled_from(draw(st.lists(any_number, min_size=1, max_size=4)))
    any_day = st.one_of(st.sampled_from(DATES), st.dates(date(1900, 1, 1), date(2100, 12, 31)))
    days = st.sampled_from(draw(st.lists(any_day, min_size=1, max_size=4)))
    return Values(
        word=word,
        literal_text=st.one_of(word, text),
        pattern=escape.flatmap(pattern_for),
        number=st.one_of(numbers, numbers, any_number),
        day=st.one_of(days, days, any_day),
    )


def literal_values(values: Values, ftype: FieldType) -> st.SearchStrategy[Scalar]:
    match ftype:
        case FieldType.STRING:
            return values.literal_text
        case FieldType.NUMBER:
            return values.number
        case FieldType.BOOLEAN:
            return st.booleans()
        case FieldType.DATE:
            return values.day


def literals(values: Values, ftype: FieldType, nullable: bool) -> st.SearchStrategy[Literal]:
    typed = st.builds(Literal, literal_values(values, ftype), st.just(ftype))
    if not nullable:
        return typed
    return st.one_of(typed, typed, typed, typed, st.just(Literal(None, None)))


def predicates(values: Values, name: str) -> st.SearchStrategy[Expr]:
    ftype = SCHEMA[name]
    ref = st.just(FieldRef(name))
    ops = BOOL_OPS if ftype is FieldType.BOOLEAN else ALL_OPS
    options: list[st.SearchStrategy[Expr]] = [
        st.builds(Comparison, st.sampled_from(ops), ref, literals(values, ftype, nullable=True)),
        st.builds(
            InList,
            ref,
            st.lists(literals(values, ftype, nullable=True), min_size=1, max_size=4).map(tuple),
            st.booleans(),
        ),
        st.builds(IsNull, ref, st.booleans()),
    ]
    if ftype is not FieldType.BOOLEAN:
        bound = literals(values, ftype, nullable=False)
        options.append(st.builds(Between, ref, bound, bound, st.booleans()))
    if ftype is FieldType.STRING:
        options.append(
            values.pattern.flatmap(
                lambda pe: st.builds(
                    Like, ref, st.just(Literal(pe[0], FieldType.STRING)), st.just(pe[1]), st.booleans()
                )
            )
        )
        options.append(options[-1])  # LIKE has the most ways to go wrong
    return st.one_of(options)


def rules(values: Values) -> st.SearchStrategy[Expr]:
    leaf = st.sampled_from(sorted(SCHEMA)).flatmap(lambda name: predicates(values, name))

    def extend(children: st.SearchStrategy[Expr]) -> st.SearchStrategy[Expr]:
        group = st.lists(children, min_size=2, max_size=3).map(tuple)
        return st.one_of(st.builds(And, group), st.builds(Or, group), st.builds(Not, children))

    return st.recursive(leaf, extend, max_leaves=6)


def cell(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.none(), strategy, strategy, strategy)


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[Expr, TableRows]:
    values = draw(example_values())
    row = st.fixed_dictionaries(
        {
            "s1": cell(values.word),
            "s2": cell(values.word),
            "n": cell(values.number),
            "b": cell(st.booleans()),
            "d": cell(values.day),
        }
    )
    return draw(rules(values)), draw(st.lists(row, min_size=10, max_size=40))


# ---------------------------------------------------------------------------------------------
# Evaluation in each back end. Every function returns one True/False/None per row, in row order.


def source_frame(rows: TableRows) -> pl.DataFrame:
    """The accounts as loaded: original column names, original (mixed) case, an id per row."""
    data: dict[str, Any] = {ID: list(range(len(rows)))}
    for name, column in COLUMNS.items():
        data[column] = [row[name] for row in rows]
    dtypes = {COLUMNS[name]: to_polars.POLARS_TYPES[ftype] for name, ftype in SCHEMA.items()}
    return pl.DataFrame(data, schema={ID: pl.Int64, **dtypes})


def python_results(expr: Expr, rows: TableRows) -> list[bool | None]:
    test = to_python.compile_rule(expr)
    # Upper-case keys: prepare_record is what makes field names canonical.
    return [test(prepare_record({name.upper(): value for name, value in row.items()})) for row in rows]


def polars_results(expr: Expr, source: pl.DataFrame) -> tuple[list[bool | None], list[int]]:
    frame = evaluation_frame(source, COLUMNS, SCHEMA, SCHEMA)
    compiled = to_polars.compile_rule(expr)
    answers = frame.select(pl.col(ROW), compiled.alias("answer")).sort(ROW)
    assert answers[ROW].to_list() == list(range(source.height))
    matched = frame.filter(compiled)[ROW].to_list()
    return answers["answer"].to_list(), sorted(matched)


def sql_results(run: Callable[[str], list[Any]], sql: str) -> tuple[list[bool | None], list[int]]:
    answers = run(f"SELECT {ID}, ({sql}) FROM accounts ORDER BY {ID}")
    matched = run(f"SELECT {ID} FROM accounts WHERE {sql} ORDER BY {ID}")
    # SQLite has no boolean type: its comparisons give 1, 0 or NULL.
    return [None if value is None else bool(value) for _, value in answers], [i for (i,) in matched]


def sqlite_load(connection: sqlite3.Connection, rows: TableRows) -> None:
    declared = {FieldType.STRING: "TEXT", FieldType.NUMBER: "REAL", FieldType.BOOLEAN: "INTEGER"}
    columns = ", ".join(f'"{COLUMNS[name]}" {declared.get(ftype, "TEXT")}' for name, ftype in SCHEMA.items())
    connection.execute("DROP TABLE IF EXISTS accounts")
    connection.execute(f"CREATE TABLE accounts ({ID} INTEGER, {columns})")

    def stored(value: Scalar) -> Any:
        # SQLite keeps dates as ISO text (what to_sql's DATE('...') yields) and booleans as 0/1.
        return value.isoformat() if isinstance(value, date) else value

    connection.executemany(
        f"INSERT INTO accounts VALUES (?{', ?' * len(SCHEMA)})",
        [(i, *(stored(row[name]) for name in SCHEMA)) for i, row in enumerate(rows)],
    )


# PostgreSQL's string columns get an ICU collation, which orders unlike code points ('é' < 'f', and
# punctuation before digits), so that any ordering the compiler left to the column's collation,
# instead of pinning it with COLLATE "C", shows up as a disagreement. The test database's own
# collation (C.UTF-8) orders by code point, which would hide that. (LOWER() on these columns then
# follows ICU's case mapping rather than the database's ctype; both fold the alphabet above alike.)
PG_COLLATION = "und-x-icu"
PG_TYPES = {
    FieldType.STRING: pgsql.SQL("text COLLATE {}").format(pgsql.Identifier(PG_COLLATION)),
    FieldType.NUMBER: pgsql.SQL("double precision"),
    FieldType.BOOLEAN: pgsql.SQL("boolean"),
    FieldType.DATE: pgsql.SQL("date"),
}

PgConnection = psycopg.Connection[tuple[Any, ...]]


def postgres_results(pg: PgConnection, rows: TableRows, sql: str) -> tuple[list[bool | None], list[int]]:
    """Load the rows, as typed columns under the table's own (quoted) names, into a temporary table
    that lives for one transaction, and run the rule's SQL on it."""
    columns = pgsql.SQL(", ").join(
        pgsql.SQL("{} {}").format(pgsql.Identifier(COLUMNS[name]), PG_TYPES[ftype])
        for name, ftype in SCHEMA.items()
    )
    names = pgsql.SQL(", ").join(pgsql.Identifier(n) for n in [ID, *(COLUMNS[name] for name in SCHEMA)])
    with pg.transaction():
        pg.execute(
            pgsql.SQL("CREATE TEMPORARY TABLE accounts ({} integer, {}) ON COMMIT DROP").format(
                pgsql.Identifier(ID), columns
            )
        )
        with pg.cursor().copy(pgsql.SQL("COPY accounts ({}) FROM STDIN").format(names)) as copy:
            for i, row in enumerate(rows):
                copy.write_row((i, *(row[name] for name in SCHEMA)))
        # Without parameters psycopg sends the text as it is, so '%' in patterns needs no escaping.
        return sql_results(lambda q: pg.execute(q).fetchall(), sql)  # type: ignore[arg-type]


def all_ascii(expr: Expr, rows: TableRows) -> bool:
    """Whether every string in the data and the rule is ASCII (escape characters always are)."""
    texts = [value for row in rows for value in row.values() if isinstance(value, str)]
    texts += [lit.value for _, lit in literals_of(expr) if isinstance(lit.value, str)]
    return all(text.isascii() for text in texts)


def sqlite_reads_numbers_exactly(expr: Expr, lite: sqlite3.Connection) -> bool:
    """SQLite before 3.47 turns some decimal literals into a neighbouring double (it reads
    0.0002778930145481157 as 0.00027789301454811573); such numbers are SQLite's error, not ours."""
    for field, lit in literals_of(expr):
        if isinstance(lit.value, float):
            sql = to_sql(Comparison(CompareOp.EQ, field, lit), "sqlite")
            if lite.execute(f"SELECT {sql} FROM (SELECT ? AS {field.name})", (lit.value,)).fetchone() != (1,):
                return False
    return True


# ---------------------------------------------------------------------------------------------
# Checks on the rule text itself.


def folded_negations(expr: Expr) -> Expr:
    """`NOT x LIKE 'a'` reads back as `x NOT LIKE 'a'` (and `NOT x NOT LIKE 'a'` as `x LIKE 'a'`):
    fold a NOT into the predicate below it, innermost first, so equal rules compare equal."""
    match expr:
        case Not(item):
            inner = folded_negations(item)
            if isinstance(inner, InList | Between | Like | IsNull):
                return dataclasses.replace(inner, negated=not inner.negated)
            return Not(inner)
        case And(items):
            return And(tuple(folded_negations(x) for x in items))
        case Or(items):
            return Or(tuple(folded_negations(x) for x in items))
    return expr


def string_literals(sql: str, dialect: str, with_patterns: bool) -> list[str]:
    """The string constants a dialect's parser reads back from SQL text, sorted."""
    tree = sqlglot.parse_one(sql, read=dialect)
    out = []
    for node in tree.find_all(exp.Literal):
        if not node.is_string or isinstance(node.parent, exp.Escape):
            continue
        if isinstance(node.parent, exp.Like) and not with_patterns:
            continue
        out.append(node.this)
    return sorted(out)


def assert_sql_text_reads_back(expr: Expr) -> None:
    """Each dialect's SQL parses in that dialect, and its string constants read back as DuckDB's do:
    quotes, backslashes and newlines survive every dialect's string escaping."""
    duckdb_sql = to_sql(expr, "duckdb", COLUMNS)
    for dialect in DIALECTS:
        sql = to_sql(expr, dialect, COLUMNS)
        # Spark's LIKE escapes with a backslash by default, so its patterns double backslashes on purpose.
        with_patterns = dialect != "spark"
        expected = string_literals(duckdb_sql, "duckdb", with_patterns)
        assert string_literals(sql, dialect, with_patterns) == expected, f"{dialect}: {sql}"


# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def duck() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect()
    yield connection
    connection.close()


@pytest.fixture(scope="module")
def lite() -> Iterator[sqlite3.Connection]:
    connection = sqlite3.connect(":memory:")
    yield connection
    connection.close()


def assert_backends_agree(
    expr: Expr, rows: TableRows, duck: duckdb.DuckDBPyConnection, lite: sqlite3.Connection
) -> None:
    check_rule(expr, SCHEMA)
    text = to_text(expr, max_items=10**9)
    assert folded_negations(parse_rule(text)) == folded_negations(expr), text
    assert_sql_text_reads_back(expr)

    expected = python_results(expr, rows)
    expected_matches = [i for i, answer in enumerate(expected) if answer is True]
    context = f"rule: {text}\nrows: {rows}"

    source = source_frame(rows)
    answers, matches = polars_results(expr, source)
    assert answers == expected, f"polars disagrees with Python\n{context}"
    assert matches == expected_matches, f"polars filter disagrees with Python\n{context}"

    sql = to_sql(expr, "duckdb", COLUMNS)
    duck.register("accounts", source)
    try:
        answers, matches = sql_results(lambda q: duck.execute(q).fetchall(), sql)
    finally:
        duck.unregister("accounts")
    assert answers == expected, f"DuckDB disagrees with Python\nsql: {sql}\n{context}"
    assert matches == expected_matches, f"DuckDB WHERE disagrees with Python\nsql: {sql}\n{context}"

    # SQLite's LOWER() and LIKE fold ASCII letters only (é stays É), so its answers can only be
    # compared on ASCII data; the other back ends fold all of the alphabet above.
    if all_ascii(expr, rows) and sqlite_reads_numbers_exactly(expr, lite):
        sql = to_sql(expr, "sqlite", COLUMNS)
        sqlite_load(lite, rows)
        answers, matches = sql_results(lambda q: lite.execute(q).fetchall(), sql)
        assert answers == expected, f"SQLite disagrees with Python\nsql: {sql}\n{context}"
        assert matches == expected_matches, f"SQLite WHERE disagrees with Python\nsql: {sql}\n{context}"


def assert_postgres_agrees(expr: Expr, rows: TableRows, pg: PgConnection) -> None:
    """PostgreSQL gives Python's answers. Python is the reference the other back ends are held to.

    PostgreSQL lower-cases the whole generated alphabet as Python does, both under the test
    database's ctype (C.UTF-8) and under the columns' ICU collation
    (`test_postgres_lower_cases_the_alphabet_alike`), so it is compared on non-ASCII data too,
    unlike SQLite. In a database with a C ctype LOWER('É') stays 'É', and this would fail."""
    expected = python_results(expr, rows)
    expected_matches = [i for i, answer in enumerate(expected) if answer is True]
    sql = to_sql(expr, "postgres", COLUMNS, case_insensitive=True)
    answers, matches = postgres_results(pg, rows, sql)
    context = f"rule: {to_text(expr, max_items=10**9)}\nsql: {sql}\nrows: {rows}"
    assert answers == expected, f"PostgreSQL disagrees with Python\n{context}"
    assert matches == expected_matches, f"PostgreSQL WHERE disagrees with Python\n{context}"


@settings(
    max_examples=examples(ci=150, full=1000),
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(scenario=scenarios())
def test_python_polars_and_sql_agree(
    scenario: tuple[Expr, TableRows], duck: duckdb.DuckDBPyConnection, lite: sqlite3.Connection
) -> None:
    expr, rows = scenario
    assert_backends_agree(expr, rows, duck, lite)


@settings(
    max_examples=examples(ci=60, full=400),
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(scenario=scenarios())
def test_postgres_agrees(scenario: tuple[Expr, TableRows], postgres: PgConnection) -> None:
    """A real PostgreSQL server, on fewer examples than the in-process back ends, for time."""
    expr, rows = scenario
    assert_postgres_agrees(expr, rows, postgres)


FIXED_ROWS: TableRows = [
    {"s1": s1, "s2": s2, "n": n, "b": b, "d": d}
    for s1, s2, n, b, d in [
        ("Acme", "New\nYork", 1.0, True, date(2024, 1, 1)),
        ("a%b", "O'Brien", -0.0, False, None),
        ("A_B", "C:\\Temp", None, None, date(1999, 12, 31)),
        (None, None, 0.1, True, date(2024, 2, 29)),
        ("Émile", "ÜBER", 1e20, False, date(2100, 1, 1)),
        ("x.*y", "a!", 2.5, None, None),
        ("50%", "a\\%b", 0.0002778930145481157, True, date(1900, 1, 1)),
    ]
]


EDGE_CASES = pytest.mark.parametrize(
    "rule",
    [
        "s1 LIKE '%'",  # matches every non-NULL value, but NULL stays UNKNOWN
        "s1 NOT LIKE '%%'",
        "s1 LIKE 'a!%b' ESCAPE '!'",
        "s2 LIKE '%!!' ESCAPE '!'",  # an escape character written twice stands for itself
        "s1 LIKE 'a%%' ESCAPE '%'",
        "s2 LIKE 'c:\\%'",
        "s2 LIKE 'new_york'",
        "s1 LIKE 'x.*y'",
        "s1 IN ('acme', NULL)",
        "s1 NOT IN ('acme', NULL)",
        "n IN (0, NULL)",
        "s1 < 'b' OR s2 >= 'o'",
        "s2 BETWEEN 'a' AND 'über'",
        "NOT (b = TRUE AND d > DATE '2000-01-01')",
        "n = 0.0002778930145481157 OR n = 0.30000000000000004",  # SQLite misreads the first
        "s1 > 'f' OR s2 < '_'",  # code-point order, whatever the column's collation says
        "s1 LIKE '%s' OR s2 LIKE '%(x)s'",  # not driver placeholders
    ],
)


@EDGE_CASES
def test_backends_agree_on_edge_cases(
    rule: str, duck: duckdb.DuckDBPyConnection, lite: sqlite3.Connection
) -> None:
    assert_backends_agree(parse_rule(rule), FIXED_ROWS, duck, lite)


@EDGE_CASES
def test_postgres_agrees_on_edge_cases(rule: str, postgres: PgConnection) -> None:
    """Apart from the in-process back ends, so that TERRITORIAL_SKIP_POSTGRES=1 skips only this."""
    assert_postgres_agrees(parse_rule(rule), FIXED_ROWS, postgres)


def test_alphabet_lower_cases_alike_everywhere(duck: duckdb.DuckDBPyConnection) -> None:
    """The generated text is only fair if Python, polars and DuckDB lower-case its letters alike."""
    chars = ASCII_CHARS + ACCENTED
    in_polars = pl.select(pl.lit(chars).str.to_lowercase()).item()
    in_duckdb = duck.execute("SELECT lower(?)", [chars]).fetchone()
    assert (chars.lower(),) == (in_polars,) == in_duckdb


def test_postgres_lower_cases_the_alphabet_alike(postgres: PgConnection) -> None:
    """PostgreSQL's LOWER() follows its argument's collation: the database's LC_CTYPE for plain text
    (C.UTF-8 here, which folds É and Ü like Python; a C ctype would leave them, and then only ASCII
    examples could be compared), ICU's rules for the test table's columns. Both must agree here."""
    chars = ASCII_CHARS + ACCENTED
    query = pgsql.SQL("SELECT lower(%s), lower(%s COLLATE {})").format(pgsql.Identifier(PG_COLLATION))
    assert postgres.execute(query, [chars, chars]).fetchone() == (chars.lower(), chars.lower())


def test_postgres_column_collation_is_not_code_point_order(postgres: PgConnection) -> None:
    """The columns' ICU collation must order unlike Python, or it could not catch a missing COLLATE "C"."""
    query = pgsql.SQL("SELECT 'é' < 'f' COLLATE {}, 'é' < 'f' COLLATE \"C\"").format(
        pgsql.Identifier(PG_COLLATION)
    )
    assert postgres.execute(query).fetchone() == (True, "é" < "f")


def test_like_does_not_match_before_a_final_newline() -> None:
    """Python's `$` also matches just before a final newline, Rust's (polars') does not. The loader
    trims values, so only a record that skipped `prepare_record` could end in a newline."""
    rule = parse_rule("s1 LIKE 'a_c' OR s2 LIKE '%c'")
    frame = pl.DataFrame({"s1": ["abc\n"], "s2": ["abc\n"]})
    in_polars = frame.select(to_polars.compile_rule(rule)).item()
    assert to_python.compile_rule(rule)({"s1": "abc\n", "s2": "abc\n"}) is in_polars is False
