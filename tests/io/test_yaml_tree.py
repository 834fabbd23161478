"""YAML files with characters YAML does not allow are bad input at their line and column."""

from __future__ import annotations

import pytest

from territorial.errors import BadInput
from territorial.io.yaml_tree import compose


@pytest.mark.parametrize("bad", ["\x00", "\x07", "\x1b"])
def test_a_control_character_is_bad_input_at_its_place(bad: str) -> None:
    with pytest.raises(BadInput) as caught:
        compose(f"name: x\nterritories:\n  - id: A{bad}B\n", "plan.yaml", "territories")
    problem = caught.value.problems[0]
    assert (problem.location.file, problem.location.line, problem.location.column) == ("plan.yaml", 3, 10)
    assert f"U+{ord(bad):04X}" in problem.message
