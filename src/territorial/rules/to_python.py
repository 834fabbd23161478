"""Compile a rule to a Python function of one account record, for single-account answers.

Records hold canonical field names; their strings are already lower-cased (see `prepare_record`).
The function returns True, False or None (UNKNOWN), with SQL's three-valued logic.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping
from typing import Any

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
    Scalar,
)
from territorial.rules.like import like_regex

Record = Mapping[str, Scalar]
Predicate = Callable[[Record], bool | None]

_OPS: dict[CompareOp, Callable[[Any, Any], bool]] = {
    CompareOp.EQ: operator.eq,
    CompareOp.NE: operator.ne,
    CompareOp.LT: operator.lt,
    CompareOp.LE: operator.le,
    CompareOp.GT: operator.gt,
    CompareOp.GE: operator.ge,
}


def lowered(value: Scalar) -> Scalar:
    """String comparisons ignore case: strings are lower-cased once, data and literals alike."""
    return value.lower() if isinstance(value, str) else value


def literal_value(lit: Literal) -> Scalar:
    return lowered(lit.value)


def compile_rule(expr: Expr) -> Predicate:
    match expr:
        case Comparison(op=op, left=ref, right=lit):
            return _comparison(ref.name, _OPS[op], literal_value(lit))
        case InList(field=ref, values=values, negated=negated):
            return _in_list(ref.name, values, negated)
        case Between(field=ref, low=low, high=high, negated=negated):
            lo, hi = literal_value(low), literal_value(high)
            return _negate_if(negated, _between(ref.name, lo, hi))
        case Like(field=ref, pattern=pattern, escape=escape, negated=negated):
            regex = re.compile(like_regex(str(lowered(pattern.value)), escape))
            return _negate_if(negated, _like(ref.name, regex))
        case IsNull(field=ref, negated=negated):
            name = ref.name
            if negated:
                return lambda rec: rec.get(name) is not None
            return lambda rec: rec.get(name) is None
        case And(items):
            return _all([compile_rule(x) for x in items])
        case Or(items):
            return _any([compile_rule(x) for x in items])
        case Not(item):
            return _negate_if(True, compile_rule(item))
    raise TypeError(f"not a rule node: {expr!r}")


def _comparison(name: str, op: Callable[[Any, Any], bool], lit: Scalar) -> Predicate:
    if lit is None:
        return lambda rec: None

    def test(rec: Record) -> bool | None:
        value = rec.get(name)
        return None if value is None else op(value, lit)

    return test


def _in_list(name: str, values: tuple[Literal, ...], negated: bool) -> Predicate:
    members = frozenset(literal_value(v) for v in values if v.value is not None)
    has_null = any(v.value is None for v in values)

    def test(rec: Record) -> bool | None:
        value = rec.get(name)
        if value is None:
            return None
        if value in members:
            return not negated
        # `x IN (..., NULL)` is UNKNOWN rather than FALSE when nothing else matches.
        return None if has_null else negated

    return test


def _between(name: str, lo: Scalar, hi: Scalar) -> Predicate:
    def test(rec: Record) -> bool | None:
        value = rec.get(name)
        return None if value is None else bool(lo <= value <= hi)  # type: ignore[operator]

    return test


def _like(name: str, regex: re.Pattern[str]) -> Predicate:
    def test(rec: Record) -> bool | None:
        value = rec.get(name)
        # fullmatch: in Python `$` also matches before a final newline, in polars' Rust regex it does not.
        return None if value is None else regex.fullmatch(str(value)) is not None

    return test


def _negate_if(negated: bool, inner: Predicate) -> Predicate:
    if not negated:
        return inner

    def test(rec: Record) -> bool | None:
        result = inner(rec)
        return None if result is None else not result

    return test


def _all(parts: list[Predicate]) -> Predicate:
    def test(rec: Record) -> bool | None:
        unknown = False
        for part in parts:
            result = part(rec)
            if result is False:
                return False
            if result is None:
                unknown = True
        return None if unknown else True

    return test


def _any(parts: list[Predicate]) -> Predicate:
    def test(rec: Record) -> bool | None:
        unknown = False
        for part in parts:
            result = part(rec)
            if result is True:
                return True
            if result is None:
                unknown = True
        return None if unknown else False

    return test
