"""Render a rule as text: on one line (reasons and explain shorten long IN lists), or over lines of
about a given width (the plans Territorial writes)."""

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


def to_text(expr: Expr, max_items: int | None = 6) -> str:
    """The rule on one line; IN lists and AND/OR chains longer than `max_items` end with "… N more"
    (None: in full). A reason repeated on every account's row stays short: a rule of 800 conditions
    in full made a 1.3 GB assignment file of 60,000 rows."""
    match expr:
        case Comparison(op=op, left=ref, right=lit):
            return f"{ref.name} {op} {show_literal(lit)}"
        case InList(field=ref, values=values, negated=negated):
            shown = ", ".join(show_literal(v) for v in values[:max_items])
            if max_items is not None and len(values) > max_items:
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
            return _chain(items, " AND ", max_items)
        case Or(items):
            return _chain(items, " OR ", max_items)
        case Not(item):
            return f"NOT {_grouped(item, max_items)}"
    raise TypeError(f"not a rule node: {expr!r}")


def _chain(items: tuple[Expr, ...], joiner: str, max_items: int | None) -> str:
    text = joiner.join(_grouped(x, max_items) for x in items[:max_items])
    if max_items is not None and len(items) > max_items:
        text += f"{joiner}… {len(items) - max_items} more"
    return text


def _grouped(expr: Expr, max_items: int | None) -> str:
    text = to_text(expr, max_items)
    return f"({text})" if isinstance(expr, And | Or) else text


def to_lines(expr: Expr, width: int) -> list[str]:
    """The whole rule over lines of about `width` characters, for a folded YAML scalar (which joins
    them with spaces): each item of an OR starts a line; an AND keeps its items on one line, except
    that an item after an IN list or a bracketed group starts a line; IN lists break between items
    when a line would pass `width`. A single item longer than `width` keeps its line."""
    return _lines(expr, width, "")


def _lines(expr: Expr, width: int, lead: str) -> list[str]:
    match expr:
        case InList(field=ref, values=values, negated=negated):
            lines = [f"{lead}{ref.name} {'NOT IN' if negated else 'IN'} ("]
            for i, value in enumerate(values):
                shown = show_literal(value) + (", " if i < len(values) - 1 else ")")
                if len(lines[-1]) + len(shown.rstrip()) > width and not lines[-1].endswith("("):
                    lines[-1] = lines[-1].rstrip()
                    lines.append("")
                lines[-1] += shown
            return [line.rstrip() for line in lines]
        case Or(items):
            return [
                line
                for i, part in enumerate(items)
                for line in _grouped_lines(part, width, lead if i == 0 else "OR ")
            ]
        case And(items):
            joined: list[str] = []
            for i, part in enumerate(items):
                if i == 0:
                    part_lead = lead
                elif isinstance(items[i - 1], InList | And | Or):
                    part_lead = "AND "  # a list or a group ends its line
                else:
                    part_lead = joined.pop() + " AND "
                joined += _grouped_lines(part, width, part_lead)
            return joined
    return [lead + to_text(expr, max_items=None)]


def _grouped_lines(expr: Expr, width: int, lead: str) -> list[str]:
    if not isinstance(expr, And | Or):
        return _lines(expr, width, lead)
    lines = _lines(expr, width, lead + "(")
    lines[-1] += ")"
    return lines
