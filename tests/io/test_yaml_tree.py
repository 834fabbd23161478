"""YAML files with characters YAML does not allow are bad input at their line and column."""

from __future__ import annotations

import pytest

from territorial.errors import BadInput
from territorial.io.plan_file import parse_plan
from territorial.io.yaml_tree import compose


@pytest.mark.parametrize("bad", ["\x00", "\x07", "\x1b"])
def test_a_control_character_is_bad_input_at_its_place(bad: str) -> None:
    with pytest.raises(BadInput) as caught:
        compose(f"name: x\nterritories:\n  - id: A{bad}B\n", "plan.yaml", "territories")
    problem = caught.value.problems[0]
    assert (problem.location.file, problem.location.line, problem.location.column) == ("plan.yaml", 3, 10)
    assert f"U+{ord(bad):04X}" in problem.message


@pytest.mark.parametrize(
    "value",
    [
        "name: " + "[" * 3000 + "]" * 3000,
        "name: x\nfields: " + "{a: " * 3000 + "1" + "}" * 3000,
        "name: x\nterritories: " + "[" * 1000 + "]" * 1000,
    ],
)
def test_values_nested_thousands_deep_are_bad_input_not_a_crash(value: str) -> None:
    # Found by a new-user pass: validating them, or quoting them in a message, overflowed the stack.
    with pytest.raises(BadInput, match="nested more than 400 levels deep"):
        parse_plan(value + "\nterritories:\n  - id: T\n" if "territories" not in value else value)
