"""Sentences that answer a rep's "why is this account mine?"."""

from __future__ import annotations

from collections.abc import Sequence

from territorial.engine.compiled import CompiledPlan
from territorial.engine.pools import RepChoice
from territorial.rules.text import to_text


def matched_chain(compiled: CompiledPlan, winner: int) -> str:
    texts = compiled.reason_texts  # an ancestor's text is written once, not for each descendant
    parts = []
    for node in compiled.plan.chain(compiled.territory(winner).id):
        if node.id not in texts:
            rule = (
                to_text(node.rule, max_items=4)
                if node.rule is not None
                else "no rule: every account that reaches it"
            )
            texts[node.id] = f"{node.id} ({rule})"
        parts.append(texts[node.id])
    return " > ".join(parts)


def territory_reason(
    compiled: CompiledPlan, layer: str, winner: int, others: Sequence[int], skipped_on_null: bool
) -> str:
    """Why the account is in `winner` (or in no territory when winner < 0) in this layer."""
    if winner < 0:
        text = f"No {layer} territory matched."
        if skipped_on_null:
            text += " Some rules were UNKNOWN because fields are empty; `territorial explain` shows which."
        return text
    text = f"Matched {matched_chain(compiled, winner)}."
    if not others:
        return text + f" It is the only matching territory in layer {layer}."
    names = ", ".join(compiled.territory(o).id for o in others)
    winner_id = compiled.territory(winner).id
    return text + f" Also matched {names}; {winner_id} won on {compiled.beats(winner, others[0])}."


def rep_reason(how: RepChoice, rep: str | None, pool: Sequence[str]) -> str:
    match how:
        case RepChoice.VACANT:
            return "No rep: the territory is vacant."
        case RepChoice.ONLY_REP:
            return f"Rep {rep} is the territory's only rep."
        case RepChoice.KEPT_OWNER:
            return f"Kept by its current owner {rep}, who is in the pool ({', '.join(pool)})."
        case RepChoice.LEAST_LOADED:
            pool_text = ", ".join(pool)
            return f"Shared out to {rep}, the least-loaded rep in the pool ({pool_text}) in account_id order."
        case RepChoice.PINNED:
            return ""  # the hold's or override's own words name the rep
    return ""
