"""A territory plan: a forest of territories in layers, each with a rule, a priority and reps."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from territorial.domain.fields import FieldType
from territorial.rules.ast import Expr

PRIMARY = "primary"


@dataclass(frozen=True)
class RuleSource:
    """Where a rule's text starts in the plan file, so errors inside it can name a line and column."""

    text: str
    line: int
    column: int

    def position(self, offset: int) -> tuple[int, int]:
        """File line and column of a 0-based offset into the rule text."""
        before = self.text[:offset]
        newlines = before.count("\n")
        if newlines == 0:
            return self.line, self.column + offset
        return self.line + newlines, offset - before.rfind("\n")


@dataclass(frozen=True)
class Territory:
    id: str
    name: str
    rule: Expr | None
    source: RuleSource | None
    priority: int
    layer: str
    reps: tuple[str, ...]
    parent: str | None
    depth: int  # roots have depth 0
    order: int  # position in plan-file pre-order: a parent before its children, siblings in file order
    children: tuple[str, ...]
    line: int  # plan-file line of the territory's entry


@dataclass(frozen=True)
class Plan:
    name: str
    fields: dict[str, FieldType]  # declared types, by canonical field name
    workload: str | None  # canonical name of the numeric workload field; None means 1 per account
    territories: tuple[Territory, ...]  # in pre-order
    file: str = "<plan>"
    field_lines: dict[str, int] = field(default_factory=dict)
    workload_line: int | None = None

    @cached_property
    def by_id(self) -> dict[str, Territory]:
        return {t.id: t for t in self.territories}

    @cached_property
    def layers(self) -> list[str]:
        """Layers in report order: primary first, the others alphabetically."""
        return layer_order({t.layer for t in self.territories})

    def roots(self, layer: str | None = None) -> list[Territory]:
        return [t for t in self.territories if t.parent is None and (layer is None or t.layer == layer)]

    def chain(self, territory_id: str) -> list[Territory]:
        """The territory and its ancestors, root first."""
        out: list[Territory] = []
        current: str | None = territory_id
        while current is not None:
            node = self.by_id[current]
            out.append(node)
            current = node.parent
        return out[::-1]


def layer_order(layers: set[str]) -> list[str]:
    return sorted(layers, key=lambda name: (name != PRIMARY, name))
