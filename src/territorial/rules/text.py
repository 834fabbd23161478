"""Render a rule back to readable text, shortening long IN lists, for reasons and explain."""

from __future__ import annotations

from territorial.domain.fields import FieldType
from territorial.rules.ast import (
    And,
    Between,
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


def show_value(value: Scalar) -> str:
    """A value as a rule would spell it."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 2**53 else repr(value)
    return f"DATE '{value.isoformat()}'"


def show_literal(lit: Literal) -> str:
    if lit.type is FieldType.DATE and lit.value is not None:
        return show_value(lit.value)
    return show_value(lit.value)


def to_text(expr: Expr, max_items: int = 6) -> str:
    match expr:
        case Comparison(op=op, left=ref, right=lit):
            return f"{ref.name} {op} {show_literal(lit)}"
        case InList(field=ref, values=values, negated=negated):
            shown = ", ".join(show_literal(v) for v in values[:max_items])
            if len(values) > max_items:
                shown += f", … {len(values) - max_items} more"
            return f"{ref.name} {'NOT IN' if negated else 'IN'} ({shown})"
        case Between(field=ref, low=low, high=high, negated=negated):
            word = "NOT BETWEEN" if negated else "BETWEEN"
            return f"{ref.name} {word} {show_literal(low)} AND {show_literal(high)}"
        case Like(field=ref, pattern=pattern, escape=escape, negated=negated):
            tail = f" ESCAPE {show_value(escape)}" if escape is not None else ""
            return f"{ref.name} {'NOT LIKE' if negated else 'LIKE'} {show_literal(pattern)}{tail}"
        case IsNull(field=ref, negated=negated):
            return f"{ref.name} IS {'NOT ' if negated else ''}NULL"
        case And(items):
            return " AND ".join(_grouped(x, max_items) for x in items)
        case Or(items):
            return " OR ".join(_grouped(x, max_items) for x in items)
        case Not(item):
            return f"NOT {_grouped(item, max_items)}"
    raise TypeError(f"not a rule node: {expr!r}")


def _grouped(expr: Expr, max_items: int) -> str:
    text = to_text(expr, max_items)
    return f"({text})" if isinstance(expr, And | Or) else text
