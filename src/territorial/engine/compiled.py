"""A plan made ready to evaluate: compiled rules, the tree's shape and the resolution order."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import polars as pl

from territorial.domain.plan import Plan, Territory
from territorial.rules import to_polars, to_python
from territorial.rules.ast import fields_of


@dataclass(frozen=True)
class CompiledPlan:
    plan: Plan

    @cached_property
    def index(self) -> dict[str, int]:
        return {t.id: i for i, t in enumerate(self.plan.territories)}

    @cached_property
    def children(self) -> list[list[int]]:
        return [[self.index[c] for c in t.children] for t in self.plan.territories]

    @cached_property
    def roots(self) -> list[int]:
        return [i for i, t in enumerate(self.plan.territories) if t.parent is None]

    @cached_property
    def rank(self) -> np.ndarray:
        """Resolution rank per territory: highest priority, then deepest, then plan order (0 wins)."""
        keys = [(-t.priority, -t.depth, t.order) for t in self.plan.territories]
        order = sorted(range(len(keys)), key=keys.__getitem__)
        rank = np.empty(len(keys), dtype=np.int64)
        rank[order] = np.arange(len(keys))
        return rank

    @cached_property
    def priorities(self) -> np.ndarray:
        return np.array([t.priority for t in self.plan.territories], np.int64)

    @cached_property
    def depths(self) -> np.ndarray:
        return np.array([t.depth for t in self.plan.territories], np.int64)

    @cached_property
    def python_rules(self) -> list[to_python.Predicate | None]:
        return [to_python.compile_rule(t.rule) if t.rule is not None else None for t in self.plan.territories]

    def polars_rule(self, i: int) -> pl.Expr | None:
        rule = self.plan.territories[i].rule
        return to_polars.compile_rule(rule) if rule is not None else None

    @cached_property
    def subtree_fields(self) -> list[frozenset[str]]:
        """Fields read by each territory's rule or any rule below it."""
        out: list[frozenset[str]] = [frozenset()] * len(self.plan.territories)
        for i in reversed(range(len(self.plan.territories))):
            own = fields_of(rule) if (rule := self.plan.territories[i].rule) is not None else set()
            for c in self.children[i]:
                own = own | out[c]
            out[i] = frozenset(own)
        return out

    @cached_property
    def rule_fields(self) -> list[frozenset[str]]:
        """Fields read by each territory's own rule."""
        return [
            frozenset(fields_of(t.rule)) if t.rule is not None else frozenset() for t in self.plan.territories
        ]

    @cached_property
    def fields(self) -> frozenset[str]:
        return frozenset().union(*self.subtree_fields) if self.subtree_fields else frozenset()

    @cached_property
    def reason_texts(self) -> dict[str, str]:
        """Each territory's part of a reason, by id, written when first needed (engine.reasons)."""
        return {}

    def territory(self, i: int) -> Territory:
        return self.plan.territories[i]

    def beats(self, a: int, b: int) -> str:
        """Why territory a was ranked before b, in words."""
        ta, tb = self.territory(a), self.territory(b)
        if ta.priority != tb.priority:
            return f"higher priority ({ta.priority} over {tb.priority})"
        if ta.depth != tb.depth:
            return f"deeper in the hierarchy (level {ta.depth + 1} over level {tb.depth + 1})"
        return (
            f"plan order, as a tie: same priority ({ta.priority}) and level ({ta.depth + 1}); "
            "set a priority to decide it"
        )
