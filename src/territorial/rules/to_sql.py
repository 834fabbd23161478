"""Compile a rule to SQL text for SQLite, PostgreSQL, DuckDB or Spark, through sqlglot's generators.

With `case_insensitive` (the language's meaning) string columns are compared as LOWER(column)
against lower-cased literals, and PostgreSQL orders with COLLATE "C" so that the database's
collation cannot change answers. Without it, comparisons are emitted as written: that is what a
warehouse user types against data that is already in one case. With `columns_lowered`, the string
columns were lower-cased beforehand by the reference (Python's and polars' lower-casing, which a
database's LOWER does not match for a final Σ or İ), so only the literals are lower-cased.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal as Lit

from sqlglot import exp

from territorial.domain.fields import FieldType
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
)
from territorial.rules.like import sql_like_pattern

Dialect = Lit["sqlite", "postgres", "duckdb", "spark"]
DIALECTS: tuple[Dialect, ...] = ("sqlite", "postgres", "duckdb", "spark")

_SQL_OPS: dict[CompareOp, type[exp.Binary]] = {
    CompareOp.EQ: exp.EQ,
    CompareOp.NE: exp.NEQ,
    CompareOp.LT: exp.LT,
    CompareOp.LE: exp.LTE,
    CompareOp.GT: exp.GT,
    CompareOp.GE: exp.GTE,
}


def to_sql(
    expr: Expr,
    dialect: Dialect,
    columns: Mapping[str, str] | None = None,
    case_insensitive: bool = True,
    columns_lowered: bool = False,
) -> str:
    """SQL text of the rule. `columns` maps canonical field names to the table's column names."""
    return to_sql_tree(expr, dialect, columns, case_insensitive, columns_lowered).sql(dialect=dialect)


def to_sql_tree(
    expr: Expr,
    dialect: Dialect,
    columns: Mapping[str, str] | None = None,
    case_insensitive: bool = True,
    columns_lowered: bool = False,
) -> exp.Expr:
    """The rule as a sqlglot tree, for a query that embeds it (to_sql renders it as text)."""
    return _Compiler(dialect, columns or {}, case_insensitive, columns_lowered).expr(expr)


class _Compiler:
    def __init__(
        self, dialect: Dialect, columns: Mapping[str, str], case_insensitive: bool, columns_lowered: bool
    ) -> None:
        self.dialect = dialect
        self.columns = columns
        self.ci = case_insensitive
        self.lowered = columns_lowered

    def expr(self, node: Expr) -> exp.Expr:
        match node:
            case Comparison(op=op, left=ref, right=lit):
                ordered = op not in (CompareOp.EQ, CompareOp.NE)
                return _SQL_OPS[op](this=self.operand(ref, lit, ordered), expression=self.literal(lit))
            case InList(field=ref, values=values, negated=negated):
                typed = next((v for v in values if v.value is not None), values[0])
                inside = exp.In(
                    this=self.operand(ref, typed, False), expressions=[self.literal(v) for v in values]
                )
                return _negate_if(negated, inside)
            case Between(field=ref, low=low, high=high, negated=negated):
                between = exp.Between(
                    this=self.operand(ref, low, True), low=self.literal(low), high=self.literal(high)
                )
                return _negate_if(negated, between)
            case Like(field=ref, pattern=pattern, escape=escape, negated=negated):
                return _negate_if(negated, self.like(ref, pattern, escape))
            case IsNull(field=ref, negated=negated):
                return _negate_if(negated, exp.Is(this=self.column(ref), expression=exp.Null()))
            case And(items):
                return exp.and_(*(self.wrapped(x) for x in items))
            case Or(items):
                return exp.or_(*(self.wrapped(x) for x in items))
            case Not(item):
                return exp.Not(this=exp.Paren(this=self.expr(item)))
        raise TypeError(f"not a rule node: {node!r}")

    def wrapped(self, node: Expr) -> exp.Expr:
        inner = self.expr(node)
        return exp.Paren(this=inner) if isinstance(node, And | Or) else inner

    def column(self, ref: FieldRef) -> exp.Expr:
        name = self.columns.get(ref.name, ref.name)
        return exp.column(name, quoted=name != name.lower() or not name.isidentifier())

    def operand(self, ref: FieldRef, lit: Literal, ordered: bool) -> exp.Expr:
        col = self.column(ref)
        if not (self.ci and lit.type is FieldType.STRING) or self.lowered:
            return col
        lowered: exp.Expr = exp.Lower(this=col)
        if ordered and self.dialect == "postgres":
            lowered = exp.Collate(this=lowered, expression=exp.Identifier(this="C", quoted=True))
        return lowered

    def literal(self, lit: Literal) -> exp.Expr:
        value = lit.value
        if value is None:
            return exp.Null()
        if lit.type is FieldType.STRING:
            text = str(value)
            return exp.Literal.string(text.lower() if self.ci else text)
        if lit.type is FieldType.BOOLEAN:
            return exp.Boolean(this=bool(value))
        if lit.type is FieldType.DATE:
            return exp.Cast(this=exp.Literal.string(str(value)), to=exp.DataType.build("DATE"))
        number = float(value)  # type: ignore[arg-type]
        return exp.Literal.number(int(number) if number.is_integer() and abs(number) < 2**53 else number)

    def like(self, ref: FieldRef, pattern: Literal, escape: str | None) -> exp.Expr:
        text = str(pattern.value)
        if self.ci:
            text = text.lower()
        if escape is not None:
            text, escape = sql_like_pattern(text, escape)
        like = exp.Like(this=self.operand(ref, pattern, False), expression=exp.Literal.string(text))
        if escape is not None:
            return exp.Escape(this=like, expression=exp.Literal.string(escape))
        if "\\" in text:
            # PostgreSQL and Spark escape with a backslash by default; the rule language does not.
            if self.dialect == "postgres":
                return exp.Escape(this=like, expression=exp.Literal.string(""))
            if self.dialect == "spark":
                like.set("expression", exp.Literal.string(text.replace("\\", "\\\\")))
        return like


def _negate_if(negated: bool, node: exp.Expr) -> exp.Expr:
    return exp.Not(this=exp.Paren(this=node)) if negated else node
