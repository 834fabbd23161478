"""Numeric expressions over account fields (workload, potential): + - * / ( ), numbers, number
fields and COALESCE, parsed with sqlglot and compiled to a polars expression."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import NoReturn

import polars as pl
import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from territorial.domain.fields import FieldType, canonical
from territorial.rules.parser import RuleError, check_nesting, position_of
from territorial.rules.types import unknown_field_message


def _add(a: pl.Expr, b: pl.Expr) -> pl.Expr:
    return a + b


def _sub(a: pl.Expr, b: pl.Expr) -> pl.Expr:
    return a - b


def _mul(a: pl.Expr, b: pl.Expr) -> pl.Expr:
    return a * b


def _div(a: pl.Expr, b: pl.Expr) -> pl.Expr:
    return a / b


_BINARY: dict[type[exp.Expr], Callable[[pl.Expr, pl.Expr], pl.Expr]] = {
    exp.Add: _add,
    exp.Sub: _sub,
    exp.Mul: _mul,
    exp.Div: _div,
}


def numeric_expression(
    text: str, schema: Mapping[str, FieldType], hint_names: Iterable[str] | None = None
) -> pl.Expr:
    """A polars Float64 expression over canonical field names; RuleError on anything else."""
    if not text.strip():
        raise RuleError("the expression is empty")
    names = list(hint_names) if hint_names is not None else list(schema)
    return _compile(_parsed(text), schema, names)


def fields_in(text: str) -> set[str]:
    """Canonical names of the fields an expression reads (empty when it does not parse)."""
    try:
        tree = _parsed(text)
    except RuleError:
        return set()
    return {canonical(c.name) for c in tree.find_all(exp.Column)}


def _parsed(text: str) -> exp.Expr:
    try:
        check_nesting(sqlglot.tokenize(text), "expressions")
        return sqlglot.parse_one(text)
    except (ParseError, TokenError) as err:
        raise RuleError(f"cannot read the expression: {err}".splitlines()[0]) from None


def _compile(node: exp.Expr, schema: Mapping[str, FieldType], names: list[str]) -> pl.Expr:
    match node:
        case exp.Paren():
            return _compile(node.this, schema, names)
        case exp.Neg():
            return -_compile(node.this, schema, names)
        case exp.Literal(is_string=False):
            return pl.lit(float(node.this), dtype=pl.Float64)
        case exp.Column():
            name = canonical(node.name)
            if name not in schema:
                _reject(unknown_field_message(name, names), node)
            if schema[name] is not FieldType.NUMBER:
                _reject(f"field '{name}' is {schema[name]}, not a number", node)
            return pl.col(name).cast(pl.Float64)
        case exp.Coalesce():
            parts = [node.this, *node.expressions]
            return pl.coalesce([_compile(p, schema, names) for p in parts])
    for kind, combine in _BINARY.items():
        if isinstance(node, kind):
            return combine(_compile(node.this, schema, names), _compile(node.expression, schema, names))
    _reject(
        f"{node.sql()!r} is not allowed here; use numbers, number fields, + - * / ( ) and COALESCE",
        node,
    )


def _reject(message: str, node: exp.Expr) -> NoReturn:
    raise RuleError(message, position_of(node))
