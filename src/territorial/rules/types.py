"""Type checking of a parsed rule against the account schema."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from difflib import get_close_matches

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
from territorial.rules.parser import RuleError
from territorial.rules.text import show_value

_ORDERED = {FieldType.STRING, FieldType.NUMBER, FieldType.DATE}
_EXAMPLES = {
    FieldType.STRING: "a string in single quotes, e.g. '02134'",
    FieldType.NUMBER: "a number, e.g. 1000",
    FieldType.BOOLEAN: "TRUE or FALSE",
    FieldType.DATE: "a date, e.g. DATE '2024-01-31'",
}


@dataclass(frozen=True)
class RuleWarning:
    message: str
    pos: int


def check_rule(
    expr: Expr, schema: Mapping[str, FieldType], hint_names: Iterable[str] | None = None
) -> list[RuleWarning]:
    """Raise RuleError for unknown fields and type mismatches; return warnings such as `= NULL`.

    `hint_names` are the names "did you mean" may suggest (default: the schema's)."""
    warnings: list[RuleWarning] = []
    try:
        _check(expr, schema, warnings)
    except _UnknownField as err:
        names = list(hint_names) if hint_names is not None else list(schema)
        raise RuleError(unknown_field_message(err.ref.name, names), err.ref.pos) from None
    return warnings


class _UnknownField(Exception):
    def __init__(self, ref: FieldRef) -> None:
        self.ref = ref


def unknown_field_message(name: str, known: Iterable[str]) -> str:
    close = get_close_matches(name, sorted(set(known)), n=1, cutoff=0.6)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    return f"unknown field '{name}'{hint}"


def _field_type(ref: FieldRef, schema: Mapping[str, FieldType]) -> FieldType:
    try:
        return schema[ref.name]
    except KeyError:
        raise _UnknownField(ref) from None


def _require(ref: FieldRef, ftype: FieldType, lit: Literal) -> None:
    if lit.type is None or lit.type is ftype:
        return
    shown = _show(lit)
    raise RuleError(
        f"type mismatch: {ref.name} is a {ftype} field but {shown} is a {lit.type}; "
        f"expected {_id_in_quotes(lit) or _EXAMPLES[ftype]}",
        lit.pos,
    )


# A whole number this long is an id (HubSpot's are 8 to 11 digits), not a ZIP code: quoting it as
# written is the fix. Shorter ones keep the ZIP example, whose leading zero a number has lost.
_ID_DIGITS = 6


def _id_in_quotes(lit: Literal) -> str | None:
    value = lit.value
    if not isinstance(value, float) or not value.is_integer() or len(show_value(value)) < _ID_DIGITS:
        return None
    return f"a string in single quotes: {show_value(show_value(value))} (ids of digits are text)"


def _show(lit: Literal) -> str:
    return show_value(lit.value)


def _check(expr: Expr, schema: Mapping[str, FieldType], warnings: list[RuleWarning]) -> None:
    match expr:
        case Comparison(op=op, left=ref, right=lit):
            ftype = _field_type(ref, schema)
            _require(ref, ftype, lit)
            if lit.value is None:
                warnings.append(
                    RuleWarning(
                        f"{ref.name} {op} NULL is never TRUE (a comparison with NULL is UNKNOWN); "
                        f"write {ref.name} IS {'NOT ' if op is CompareOp.NE else ''}NULL",
                        lit.pos,
                    )
                )
            elif op not in (CompareOp.EQ, CompareOp.NE) and ftype not in _ORDERED:
                raise RuleError(f"{ref.name} is a {ftype} field; only = and != apply to it", ref.pos)
            elif lit.value == "" and op is CompareOp.EQ:
                # Empty cells are read as NULL, so '' is in no cell: this is never TRUE.
                warnings.append(
                    RuleWarning(
                        f"{ref.name} = '' is never TRUE: empty cells are NULL; write {ref.name} IS NULL",
                        lit.pos,
                    )
                )
        case InList(field=ref, values=values):
            ftype = _field_type(ref, schema)
            for lit in values:
                _require(ref, ftype, lit)
        case Between(field=ref, low=low, high=high):
            ftype = _field_type(ref, schema)
            if ftype not in _ORDERED:
                raise RuleError(
                    f"{ref.name} is a {ftype} field; BETWEEN needs a string, number or date", ref.pos
                )
            for lit in (low, high):
                if lit.value is None:
                    raise RuleError("BETWEEN needs two values, not NULL", lit.pos)
                _require(ref, ftype, lit)
        case Like(field=ref, pattern=pattern):
            ftype = _field_type(ref, schema)
            if ftype is not FieldType.STRING:
                raise RuleError(f"LIKE applies to string fields only; {ref.name} is a {ftype} field", ref.pos)
            if pattern.type is not FieldType.STRING:
                raise RuleError("LIKE needs a pattern in single quotes, e.g. '%security%'", pattern.pos)
        case IsNull(field=ref):
            _field_type(ref, schema)
        case And(items) | Or(items):
            for item in items:
                _check(item, schema, warnings)
        case Not(item):
            _check(item, schema, warnings)
