"""Editing a plan's YAML one territory at a time keeps every other line as written: comments, key
order, quoting and indentation."""

from __future__ import annotations

import pytest

from territorial.errors import BadInput
from territorial.io.plan_edits import (
    with_territory_added,
    with_territory_changed,
    with_territory_deleted,
    with_territory_moved,
)
from territorial.io.plan_file import parse_plan

PLAN = """\
# FY27: reviewed with sales ops
name: Two teams  # as the board calls it
territories:
  # North America first
  - id: NA
    rule: country = 'US'
    children:
      - id: EAST
        name: "East"
        rule: state IN ('NY', 'MA')
        reps: [ANN, BEN]
      - id: WEST
        rule: state IN ('CA', 'WA')
  - id: SEC
    layer: security
    rule: industry = 'Software'
"""


def test_a_changed_rule_changes_only_its_line() -> None:
    edited = with_territory_changed(PLAN, "WEST", {"rule": "state IN ('CA', 'WA', 'OR')"})
    before, after = PLAN.splitlines(), edited.splitlines()
    changed = [(a, b) for a, b in zip(before, after, strict=True) if a != b]
    assert changed == [("        rule: state IN ('CA', 'WA')", "        rule: state IN ('CA', 'WA', 'OR')")]


def test_an_added_territory_goes_last_under_its_parent_with_keys_in_plan_order() -> None:
    edited = with_territory_added(PLAN, "EAST", {"reps": ["ANN"], "rule": "state = 'NY'", "id": "NY"})
    assert edited.startswith("# FY27: reviewed with sales ops\nname: Two teams  # as the board calls it\n")
    assert (
        "        children:\n          - id: NY\n            rule: state = 'NY'\n            reps: [ANN]\n"
        in edited
    )
    assert [t.id for t in parse_plan(edited).territories] == ["NA", "EAST", "NY", "WEST", "SEC"]
    with pytest.raises(BadInput, match="has a territory 'WEST' already"):
        with_territory_added(PLAN, None, {"id": "WEST"})


def test_moving_and_deleting_keep_the_rest() -> None:
    moved = with_territory_moved(PLAN, "WEST", None)
    plan = parse_plan(moved)
    assert [(t.id, t.parent) for t in plan.territories] == [
        ("NA", None), ("EAST", "NA"), ("SEC", None), ("WEST", None),
    ]  # fmt: skip
    assert "  # North America first\n" in moved and 'name: "East"' in moved
    with pytest.raises(BadInput, match="itself or below it"):
        with_territory_moved(PLAN, "NA", "EAST")
    with pytest.raises(BadInput, match="2 territories below it"):
        with_territory_deleted(PLAN, "NA")
    alone = with_territory_deleted(with_territory_deleted(PLAN, "WEST"), "EAST")
    assert "children" not in alone and [t.id for t in parse_plan(alone).territories] == ["NA", "SEC"]
    with pytest.raises(BadInput, match="no territory 'NOPE'"):
        with_territory_deleted(PLAN, "NOPE")
