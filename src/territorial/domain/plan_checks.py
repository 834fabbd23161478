"""Plan checks as code: a plan's `checks:`, the tables they run over, and what each check found."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property

import polars as pl

from territorial.domain.fields import FieldType
from territorial.domain.rule_source import RuleSource
from territorial.rules.ast import Expr, fields_of


class CheckOver(StrEnum):
    """The table a check's rule runs on: one row for the plan, one per territory, one per rep."""

    PLAN = "plan"
    TERRITORY = "territory"
    REP = "rep"


# The figures every table has (the README defines each, per table).
FIGURES = (
    "accounts",
    "workload",
    "potential",
    "open_pipeline",
    "workload_vs_mean",
    "workload_vs_target",
    "moved",
    "moved_share",
    "ties",
    "unassigned",
    "vacant",
)
# Each table's columns: the row's name (so a rule can leave some rows out) and its figures. An
# unassigned account is in no territory and no rep's book, and a rep's accounts are never vacant.
TABLE_COLUMNS: dict[CheckOver, dict[str, FieldType]] = {
    CheckOver.PLAN: dict.fromkeys(FIGURES, FieldType.NUMBER),
    CheckOver.TERRITORY: {
        "layer": FieldType.STRING,
        "territory_id": FieldType.STRING,
        # Where the territory sits in the plan's tree, so that a check can leave parents out.
        "leaf": FieldType.BOOLEAN,
        "depth": FieldType.NUMBER,
        "reps": FieldType.NUMBER,
        **dict.fromkeys([f for f in FIGURES if f != "unassigned"], FieldType.NUMBER),
    },
    CheckOver.REP: {
        "layer": FieldType.STRING,
        "rep_id": FieldType.STRING,
        **dict.fromkeys([f for f in FIGURES if f not in ("unassigned", "vacant")], FieldType.NUMBER),
    },
}
# The columns that name a row of each table; the rest are its figures.
ROW_NAMES: dict[CheckOver, list[str]] = {
    CheckOver.PLAN: [],
    CheckOver.TERRITORY: ["layer", "territory_id"],
    CheckOver.REP: ["layer", "rep_id"],
}
# Figures that are whole numbers, shown without decimals.
COUNTS = ("depth", "reps", "accounts", "moved", "ties", "unassigned", "vacant")
# Figures that compare the plan with a baseline assignment: a check reading one needs it.
BASELINE_FIGURES = ("moved", "moved_share")
# The workspace's open opportunities: an accounts file carries none.
PIPELINE_FIGURES = ("open_pipeline",)


@dataclass(frozen=True)
class PlanCheck:
    """One item of a plan's `checks:`: a rule that must be TRUE on every row of its table."""

    name: str
    over: CheckOver
    rule: Expr
    source: RuleSource  # the `assert:` text and where it is in the plan file
    line: int  # the plan-file line of the item

    @cached_property
    def reads(self) -> list[str]:
        """The columns the rule reads, in table order."""
        used = fields_of(self.rule)
        return [name for name in TABLE_COLUMNS[self.over] if name in used]

    @property
    def figures(self) -> list[str]:
        """The figures the rule reads (not the row's names), in table order."""
        return [name for name in self.reads if name not in ROW_NAMES[self.over]]


FALSE, UNKNOWN = "FALSE", "UNKNOWN"


@dataclass(frozen=True)
class CheckOutcome:
    """What a check found: how many rows it ran on, and each row where its rule was not TRUE, with
    the row's names (ROW_NAMES), the figures the rule reads and `verdict` (FALSE or UNKNOWN), in
    table order."""

    check: PlanCheck
    rows: int
    failed: pl.DataFrame

    @property
    def passed(self) -> bool:
        return self.failed.is_empty()
