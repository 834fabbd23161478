"""Compile a rule to a polars expression, for bulk evaluation.

The frame holds one column per canonical field name with strings already lower-cased. The
expression yields true, false or null (UNKNOWN): polars' Kleene logic for & | ~ is SQL's.
"""

from __future__ import annotations

import polars as pl

from territorial.domain.fields import FieldType
from territorial.rules.ast import (
    And,
    Between,
    CompareOp,
    Comparison,
    Expr,
    InList,
    IsNull,
    Like,
    Literal,
    Not,
    Or,
)
from territorial.rules.like import like_regex, split_like
from territorial.rules.to_python import literal_value

_UNKNOWN = pl.lit(None, dtype=pl.Boolean)

POLARS_TYPES: dict[FieldType, pl.DataType] = {
    FieldType.STRING: pl.String(),
    FieldType.NUMBER: pl.Float64(),
    FieldType.BOOLEAN: pl.Boolean(),
    FieldType.DATE: pl.Date(),
}


def compile_rule(expr: Expr) -> pl.Expr:
    match expr:
        case Comparison(op=op, left=ref, right=lit):
            if lit.value is None:
                # One UNKNOWN per row (a bare literal would be a single value, not a column).
                return pl.repeat(None, pl.len(), dtype=pl.Boolean)
            return _compare(pl.col(ref.name), op, _lit(lit))
        case InList(field=ref, values=values, negated=negated):
            return _in_list(pl.col(ref.name), values, negated)
        case Between(field=ref, low=low, high=high, negated=negated):
            col = pl.col(ref.name)
            inside = (col >= _lit(low)) & (col <= _lit(high))
            return ~inside if negated else inside
        case Like(field=ref, pattern=pattern, escape=escape, negated=negated):
            matched = _like(pl.col(ref.name), str(literal_value(pattern)), escape)
            return ~matched if negated else matched
        case IsNull(field=ref, negated=negated):
            return pl.col(ref.name).is_not_null() if negated else pl.col(ref.name).is_null()
        # Flat, not a chain of & or |: polars' optimiser took quadratic time and memory over a
        # chain (3,200 ORs: 42 s and 3.5 GB); the horizontal forms keep Kleene logic.
        case And(items):
            return pl.all_horizontal(*(compile_rule(x) for x in items))
        case Or(items):
            return pl.any_horizontal(*(compile_rule(x) for x in items))
        case Not(item):
            return ~compile_rule(item)
    raise TypeError(f"not a rule node: {expr!r}")


def _lit(lit: Literal) -> pl.Expr:
    assert lit.type is not None
    return pl.lit(literal_value(lit), dtype=POLARS_TYPES[lit.type])


def _compare(col: pl.Expr, op: CompareOp, value: pl.Expr) -> pl.Expr:
    match op:
        case CompareOp.EQ:
            return col == value
        case CompareOp.NE:
            return col != value
        case CompareOp.LT:
            return col < value
        case CompareOp.LE:
            return col <= value
        case CompareOp.GT:
            return col > value
        case CompareOp.GE:
            return col >= value


def _in_list(col: pl.Expr, values: tuple[Literal, ...], negated: bool) -> pl.Expr:
    present = [v for v in values if v.value is not None]
    has_null = len(present) < len(values)
    if present:
        ftype = present[0].type
        assert ftype is not None
        # Built as the one list it is, not imploded: a polars call per list cost seconds for a
        # plan of 5,000 territories, compiled each time an import re-evaluates accounts.
        listed = pl.Series([[literal_value(v) for v in present]], dtype=pl.List(POLARS_TYPES[ftype]))
        member = col.is_in(listed)
    else:
        member = pl.when(col.is_null()).then(_UNKNOWN).otherwise(pl.lit(False))
    if has_null:
        # SQL: `x IN (..., NULL)` is UNKNOWN, not FALSE, when nothing else matches.
        member = pl.when(member).then(pl.lit(True)).otherwise(_UNKNOWN)
    return ~member if negated else member


def _like(col: pl.Expr, pattern: str, escape: str | None) -> pl.Expr:
    """Plain prefix, suffix and substring patterns avoid the regex engine; the rest use it."""
    items = split_like(pattern, escape).items
    if not items:
        return col == ""
    texts = [text for text, wildcard in items if not wildcard]
    wild = [text for text, wildcard in items if wildcard]
    if "_" not in wild and len(texts) <= 1:
        text = texts[0] if texts else ""
        shape = tuple(w for _, w in items)
        if shape == (False,):
            return col == text
        if shape == (False, True):
            return col.str.starts_with(text)
        if shape == (True, False):
            return col.str.ends_with(text)
        if shape == (True, False, True):
            return col.str.contains(text, literal=True)
        if not texts:  # only '%' wildcards: TRUE for any text, but NULL stays UNKNOWN
            return pl.when(col.is_not_null()).then(pl.lit(True))
    return col.str.contains(like_regex(pattern, escape))
