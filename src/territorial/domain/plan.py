"""A territory plan: a forest of territories in layers, each with a rule, a priority and reps."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from territorial.domain.fields import FieldType, NullWords
from territorial.domain.plan_checks import PlanCheck
from territorial.domain.rule_source import RuleSource
from territorial.rules.ast import Expr

PRIMARY = "primary"


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
    manager: str | None = None  # takes leads when every rep in the pool is away or capped
    # Lead fields whose value a rep must have as a skill ("industry" -> skill "industry:healthcare").
    lead_skills: tuple[str, ...] = ()


@dataclass(frozen=True)
class Potential:
    """What an account could buy: a numeric account field, or a trained regression model's output."""

    field: str | None  # canonical field name
    model: str | None  # model file path, as written in the plan
    line: int


DEFAULT_DUPLICATE_WINDOW_DAYS = 30
DEFAULT_FALLBACK_QUEUE = "unrouted-leads"
DEFAULT_INQUIRY_FIELD = "inquiry"
# What a rep's daily and monthly lead caps count: the leads the round robin gives them (the
# default), or every lead they take, matched and duplicate leads included.
CAP_COUNTS = ("round_robin", "all")
# What routing does with a lead the CRM already gives to a rep who takes leads: keep that owner (a
# rep's lead is not taken from them), or reassign it as if it had none.
CRM_OWNER = ("keep", "reassign")


@dataclass(frozen=True)
class RoutingSettings:
    """The plan's `routing:` section: how leads are qualified before they reach a rep."""

    fit_model: str | None = None  # fit model file; None means leads are not scored
    fit_threshold: int | None = None  # leads scoring below it (0-100) go to nurture
    catalogue: str | None = None  # product catalogue; None means inquiries are not checked
    relevance_threshold: float | None = None  # None means the catalogue's calibrated threshold
    inquiry_field: str = DEFAULT_INQUIRY_FIELD  # lead field holding the inquiry text
    duplicate_window_days: int = DEFAULT_DUPLICATE_WINDOW_DAYS
    fallback_queue: str = DEFAULT_FALLBACK_QUEUE  # where leads go when no rep or manager can take them
    # A rule over a matched account's fields: its leads go to the owner before the fit check.
    customer: Expr | None = None
    customer_source: RuleSource | None = None
    cap_counts: str = CAP_COUNTS[0]
    crm_owner: str = CRM_OWNER[0]
    line: int | None = None
    key_lines: dict[str, int] = field(default_factory=dict)  # plan-file line of each key given

    def line_of(self, key: str) -> int | None:
        return self.key_lines.get(key, self.line)


@dataclass(frozen=True)
class Plan:
    name: str
    fields: dict[str, FieldType]  # declared types, by canonical field name
    workload: str | None  # canonical name of the numeric workload field; None means 1 per account
    territories: tuple[Territory, ...]  # in pre-order
    file: str = "<plan>"
    field_lines: dict[str, int] = field(default_factory=dict)
    workload_line: int | None = None
    potential: Potential | None = None
    routing: RoutingSettings = field(default_factory=RoutingSettings)
    null_words: NullWords = field(default_factory=NullWords)
    checks: tuple[PlanCheck, ...] = ()  # `checks:`, run by `territorial plan check`

    @cached_property
    def by_id(self) -> dict[str, Territory]:
        return {t.id: t for t in self.territories}

    @cached_property
    def layers(self) -> list[str]:
        """Layers in report order: primary first, the others alphabetically. The primary layer is
        always there: an account with no primary territory is reported as unassigned."""
        return layer_order({PRIMARY, *(t.layer for t in self.territories)})

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
