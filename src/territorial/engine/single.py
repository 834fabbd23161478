"""One account at a time: `territory_for(account)` for lookups, routing and explain."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from territorial.domain.explanation import LayerAnswer
from territorial.domain.fields import OWNER_ID, canonical
from territorial.engine.compiled import CompiledPlan
from territorial.engine.records import prepare_record
from territorial.rules.ast import Scalar


class TerritoryFinder:
    """Answers for single accounts. Build once per plan; each lookup walks only matching branches."""

    def __init__(self, compiled: CompiledPlan) -> None:
        self.compiled = compiled
        self.rules = compiled.python_rules

    def candidates(self, record: Mapping[str, Scalar]) -> list[int]:
        """Deepest memberships of the account, in every layer."""
        out: list[int] = []
        self._walk(self.compiled.roots, record, out)
        return out

    def _walk(self, siblings: list[int], record: Mapping[str, Scalar], out: list[int]) -> bool:
        any_member = False
        for i in siblings:
            rule = self.rules[i]
            if rule is not None and rule(record) is not True:
                continue
            any_member = True
            children = self.compiled.children[i]
            if not children or not self._walk(children, record, out):
                out.append(i)
        return any_member

    def territory_for(self, account: Mapping[str, Any]) -> dict[str, LayerAnswer]:
        """The winner per layer, with overlaps, tie flag and candidate reps.

        The least-loaded pool choice needs the whole book, so a pool answers with its owner when
        the owner is in the pool, or else the whole pool.
        """
        record = prepare_record(account)
        owner = next((v for k, v in account.items() if canonical(k) == OWNER_ID), None)
        owner = None if owner is None else str(owner).strip()
        rank = self.compiled.rank
        by_layer: dict[str, list[int]] = {}
        for i in self.candidates(record):
            by_layer.setdefault(self.compiled.territory(i).layer, []).append(i)
        answers: dict[str, LayerAnswer] = {}
        for layer in self.compiled.plan.layers:
            found = sorted(by_layer.get(layer, []), key=lambda i: rank[i])
            if not found:
                answers[layer] = LayerAnswer(layer, None, (), False, ())
                continue
            winner = self.compiled.territory(found[0])
            tie = False
            if len(found) > 1:
                runner = self.compiled.territory(found[1])
                tie = runner.priority == winner.priority and runner.depth == winner.depth
            reps = (owner,) if owner in winner.reps else winner.reps
            answers[layer] = LayerAnswer(
                layer, winner.id, tuple(self.compiled.territory(i).id for i in found[1:]), tie, reps
            )
        return answers
