"""The typed rule AST. Every compiler (Python, polars, SQL, text) walks this one tree.

Operands are `FieldRef` or `Literal` today; arithmetic for workload expressions will add a
node to `Operand` without touching the boolean nodes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from territorial.domain.fields import FieldType

Scalar = str | float | bool | date | None


@dataclass(frozen=True, slots=True)
class FieldRef:
    name: str  # canonical (lower-case) field name
    pos: int = field(default=0, compare=False)  # 0-based offset in the rule text


@dataclass(frozen=True, slots=True)
class Literal:
    value: Scalar
    type: FieldType | None  # None for NULL
    pos: int = field(default=0, compare=False)


Operand = FieldRef | Literal


class CompareOp(StrEnum):
    EQ = "="
    NE = "!="
    LT = "<"
    LE = "<="
    GT = ">"
    GE = ">="

    def flipped(self) -> CompareOp:
        """The operator with its operands swapped: `5 < x` is `x > 5`."""
        return _FLIPPED[self]


_FLIPPED = {
    CompareOp.EQ: CompareOp.EQ,
    CompareOp.NE: CompareOp.NE,
    CompareOp.LT: CompareOp.GT,
    CompareOp.LE: CompareOp.GE,
    CompareOp.GT: CompareOp.LT,
    CompareOp.GE: CompareOp.LE,
}


@dataclass(frozen=True, slots=True)
class Comparison:
    op: CompareOp
    left: FieldRef
    right: Literal


@dataclass(frozen=True, slots=True)
class InList:
    field: FieldRef
    values: tuple[Literal, ...]
    negated: bool = False


@dataclass(frozen=True, slots=True)
class Between:
    field: FieldRef
    low: Literal
    high: Literal
    negated: bool = False


@dataclass(frozen=True, slots=True)
class Like:
    field: FieldRef
    pattern: Literal
    escape: str | None = None
    negated: bool = False


@dataclass(frozen=True, slots=True)
class IsNull:
    field: FieldRef
    negated: bool = False


@dataclass(frozen=True, slots=True)
class And:
    items: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class Or:
    items: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class Not:
    item: Expr


Predicate = Comparison | InList | Between | Like | IsNull
Expr = Predicate | And | Or | Not


def fields_of(expr: Expr) -> set[str]:
    """The canonical names of every field the rule reads."""
    return {ref.name for ref in field_refs(expr)}


def field_refs(expr: Expr) -> list[FieldRef]:
    """Every reference to a field in the rule, in the order it is written."""
    match expr:
        case Comparison(left=f) | InList(field=f) | Between(field=f) | Like(field=f) | IsNull(field=f):
            return [f]
        case And(items) | Or(items):
            return [ref for item in items for ref in field_refs(item)]
        case Not(item):
            return field_refs(item)
    raise TypeError(f"not a rule node: {expr!r}")


def literals_of(expr: Expr) -> list[tuple[FieldRef, Literal]]:
    """Each literal a rule compares a field with, paired with that field (for type checking)."""
    match expr:
        case Comparison(left=f, right=lit):
            return [(f, lit)]
        case InList(field=f, values=values):
            return [(f, v) for v in values]
        case Between(field=f, low=lo, high=hi):
            return [(f, lo), (f, hi)]
        case Like(field=f, pattern=p):
            return [(f, p)]
        case IsNull():
            return []
        case And(items) | Or(items):
            return [pair for item in items for pair in literals_of(item)]
        case Not(item):
            return literals_of(item)
    raise TypeError(f"not a rule node: {expr!r}")


# ---- building rules (plans written by Territorial build them as trees, never as text) ----------


def text(value: str) -> Literal:
    return Literal(value, FieldType.STRING)


def field_is(name: str, value: Literal) -> Comparison:
    return Comparison(CompareOp.EQ, FieldRef(name), value)


def in_list(name: str, values: Sequence[str], negated: bool = False) -> InList:
    return InList(FieldRef(name), tuple(text(v) for v in values), negated)


def one_of(name: str, values: Sequence[str], negated: bool = False) -> Expr:
    """`name IN ('a', 'b')`, or `name = 'a'` (`!=` when negated) for a single value."""
    if len(values) == 1:
        return Comparison(CompareOp.NE if negated else CompareOp.EQ, FieldRef(name), text(values[0]))
    return in_list(name, values, negated)


def all_of(*items: Expr) -> Expr:
    """AND of the items, nested ANDs flattened; a single item alone."""
    flat = tuple(part for item in items for part in (item.items if isinstance(item, And) else (item,)))
    return flat[0] if len(flat) == 1 else And(flat)


def any_of(*items: Expr) -> Expr:
    """OR of the items, nested ORs flattened; a single item alone."""
    flat = tuple(part for item in items for part in (item.items if isinstance(item, Or) else (item,)))
    return flat[0] if len(flat) == 1 else Or(flat)
