"""Explain one account: every territory visited, each rule's result and the conditions that decided it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from territorial.domain.explanation import Explanation, Visit
from territorial.domain.fields import ACCOUNT_ID, canonical
from territorial.engine.compiled import CompiledPlan
from territorial.engine.records import prepare_record
from territorial.engine.single import TerritoryFinder
from territorial.rules import to_python
from territorial.rules.ast import And, Comparison, Expr, Not, Or, Scalar
from territorial.rules.text import show_value, to_text


def verdict(value: bool | None) -> str:
    return "UNKNOWN" if value is None else ("TRUE" if value else "FALSE")


def explain(compiled: CompiledPlan, account: Mapping[str, Any]) -> Explanation:
    record = prepare_record(account)
    shown = {canonical(k): v for k, v in account.items()}
    visits: list[Visit] = []
    _visit(compiled, compiled.roots, record, shown, visits)
    finder = TerritoryFinder(compiled)
    answers = finder.territory_for(account)
    resolution = []
    for layer, answer in answers.items():
        if answer.territory_id is None:
            resolution.append(f"{layer}: no territory matched.")
            continue
        line = f"{layer}: {answer.territory_id} wins"
        if answer.overlaps:
            winner = compiled.index[answer.territory_id]
            runner = compiled.index[answer.overlaps[0]]
            line += f" over {', '.join(answer.overlaps)} on {compiled.beats(winner, runner)}"
        reps = ", ".join(answer.candidate_reps) or "none (vacant)"
        if len(answer.candidate_reps) > 1:
            reps += " (a pool: assign gives it to the least-loaded of them, which needs the whole book)"
        resolution.append(f"{line}. Rep: {reps}.")
    return Explanation(str(shown.get(ACCOUNT_ID)), visits, answers, resolution)


def _visit(
    compiled: CompiledPlan,
    siblings: list[int],
    record: Mapping[str, Scalar],
    shown: Mapping[str, Any],
    out: list[Visit],
) -> None:
    for i in siblings:
        t = compiled.territory(i)
        if t.rule is None:
            out.append(Visit(t.id, t.name, t.depth, None, "TRUE", ["no rule: every account that reaches it"]))
        else:
            result = to_python.compile_rule(t.rule)(record)
            because = [] if result is True else deciding_conditions(t.rule, record, shown)
            out.append(Visit(t.id, t.name, t.depth, to_text(t.rule), verdict(result), because))
            if result is not True:
                continue
        _visit(compiled, compiled.children[i], record, shown, out)


def deciding_conditions(expr: Expr, record: Mapping[str, Scalar], shown: Mapping[str, Any]) -> list[str]:
    """The conditions that decided a rule's result, each with the account's values."""
    result = to_python.compile_rule(expr)(record)
    match expr:
        case And(items) | Or(items):
            # A FALSE or UNKNOWN AND, and a TRUE OR, are decided by the parts with that result;
            # a TRUE AND and a FALSE or UNKNOWN OR need every part.
            decided_by_some = (result is not True) if isinstance(expr, And) else (result is True)
            parts = (
                [x for x in items if to_python.compile_rule(x)(record) is result]
                if decided_by_some
                else items
            )
            return [line for x in parts for line in deciding_conditions(x, record, shown)]
        case Not(item):
            inner = deciding_conditions(item, record, shown)
            return [f"NOT ({to_text(item)}) is {verdict(result)} because", *(f"  {line}" for line in inner)]
    return [f"{to_text(expr)} is {verdict(result)} ({_values(expr, shown)})"]


def _values(expr: Expr, shown: Mapping[str, Any]) -> str:
    name = expr.left.name if isinstance(expr, Comparison) else getattr(expr, "field").name  # noqa: B009
    value = shown.get(name)
    if value is None or (isinstance(value, str) and not value.strip()) or value != value:
        return f"{name} is empty"
    if isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    return f"{name} = {show_value(value)}"
