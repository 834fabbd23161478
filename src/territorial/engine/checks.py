"""Checking a plan against an account schema: unknown fields, type mismatches, and warnings."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from territorial.domain.fields import ACCOUNT_ID, FORMATTED_NUMBER, FieldType
from territorial.domain.plan import Plan, Territory
from territorial.errors import BadInput, Location, Problem
from territorial.rules.ast import fields_of, literals_of
from territorial.rules.parser import RuleError
from territorial.rules.types import check_rule, unknown_field_message


def check_plan(
    plan: Plan,
    schema: Mapping[str, FieldType],
    hint_names: Iterable[str] | None = None,
    read_as_text: Mapping[str, str] | None = None,
) -> list[Problem]:
    """Raise BadInput listing every rule that does not fit the schema; return the warnings.

    `hint_names` are the names an unknown field may be corrected to (default: the schema's).
    `read_as_text` says why a column of mostly numbers is text (AccountBook.read_as_text): a rule
    comparing it with a number is told that, not to quote the number, which would compare text."""
    errors: list[Problem] = []
    warnings: list[Problem] = []
    for t in plan.territories:
        if t.rule is None or t.source is None:
            continue
        try:
            for warning in check_rule(t.rule, schema, hint_names):
                warnings.append(_at(plan, t, warning.pos, warning.message))
            warnings += [_at(plan, t, pos, message) for pos, message in thousands_in_lists(t.source.text)]
        except RuleError as err:
            errors.append(_at(plan, t, err.pos, f"bad rule: {_text_hint(err.message, read_as_text or {})}"))
    hints = hint_names if hint_names is not None else schema
    if plan.workload is not None:
        errors.extend(
            _number_field_problems(plan, "workload", plan.workload, plan.workload_line, schema, hints)
        )
    if plan.potential is not None and plan.potential.field is not None:
        errors.extend(
            _number_field_problems(
                plan, "potential", plan.potential.field, plan.potential.line, schema, hints
            )
        )
    if errors:
        raise BadInput(errors)
    return warnings + priority_warnings(plan)


# A number written with a thousands separator (1,500) outside quotes: in an IN list the comma
# separates values, so it reads as 1 and 500 (elsewhere the parser refuses it with a hint).
_THOUSANDS = re.compile(r"(?<![\w.])\d{1,3}(?:,\d{3})+(?![\w.])")


def thousands_in_lists(text: str) -> list[tuple[int, str]]:
    """Offsets and warnings for each 1,500 outside quotes in a rule."""
    found = []
    outside = re.sub(r"'(?:[^']|'')*'", lambda m: " " * len(m.group(0)), text)  # blank out strings
    for match in _THOUSANDS.finditer(outside):
        written = match.group(0)
        parts = " and ".join(written.split(","))
        found.append(
            (
                match.start(),
                f"{written} reads as the values {parts} (a comma separates list values); "
                f"write {written.replace(',', '')} if it is one number",
            )
        )
    return found


def _text_hint(message: str, read_as_text: Mapping[str, str]) -> str:
    for name, reason in read_as_text.items():
        if message.startswith(f"type mismatch: {name} is a string field but") and FORMATTED_NUMBER in reason:
            return (
                f"{name} is compared with a number, but {reason}; give --mapping plain (salesforce or "
                "hubspot for their exports) to read such numbers as import does, or write them without "
                "separators or currency signs"
            )
        if message.startswith(f"type mismatch: {name} is a string field but"):
            return (
                f"{name} is compared with a number, but {reason}; declare `fields: {{{name}: number}}` "
                "to have such values reported, or list the word under `null_words:` to read it as empty"
            )
    return message


def _number_field_problems(
    plan: Plan,
    key: str,
    name: str,
    line: int | None,
    schema: Mapping[str, FieldType],
    hint_names: Iterable[str],
) -> list[Problem]:
    where = Location(plan.file, line, None, key)
    if name not in schema:
        return [Problem(where, unknown_field_message(name, hint_names))]
    if schema[name] is not FieldType.NUMBER:
        return [Problem(where, f"{key} must name a number field; {name} is a {schema[name]} field")]
    return []


def priority_warnings(plan: Plan) -> list[Problem]:
    out = []
    for t in plan.territories:
        if t.parent is None:
            continue
        parent = plan.by_id[t.parent]
        if parent.priority > t.priority:
            out.append(
                Problem(
                    Location(plan.file, t.line, None, t.id),
                    f"priority {t.priority} is below its parent {parent.id}'s priority {parent.priority}; "
                    "priority is not inherited, and a matching child always hides its parent",
                )
            )
    return out


def schema_from_plan(plan: Plan) -> tuple[dict[str, FieldType], list[Problem]]:
    """Without an accounts file: declared fields, plus undeclared ones typed by the literals used."""
    schema: dict[str, FieldType] = {ACCOUNT_ID: FieldType.STRING, **plan.fields}
    notes: list[Problem] = []
    for t in plan.territories:
        if t.rule is None:
            continue
        typed = {ref.name: (ref, lit.type) for ref, lit in literals_of(t.rule) if lit.type is not None}
        for name in sorted(fields_of(t.rule) - set(schema)):
            ref, ftype = typed.get(name, (None, None))
            # A field tested only with IS NULL or = NULL has no type to learn; any type fits those.
            schema[name] = ftype or FieldType.STRING
            shown = f"taken as {ftype} from its use" if ftype else "its type is not known"
            notes.append(
                _at(
                    plan,
                    t,
                    ref.pos if ref is not None else 0,
                    f"field '{name}' is not declared in fields:; {shown} "
                    "(give --accounts to check it against data)",
                )
            )
    return schema, notes


def _at(plan: Plan, t: Territory, offset: int, message: str) -> Problem:
    assert t.source is not None
    line, column = t.source.position(offset)
    return Problem(Location(plan.file, line, column, t.id), message)
