"""A plan's `checks:` (io.plan_file): read with their lines, and every mistake located in the plan
file by line and column, with what was expected."""

from __future__ import annotations

import pytest

from territorial.domain.plan_checks import CheckOver
from territorial.errors import BadInput
from territorial.io.plan_file import parse_plan

HEAD = """\
name: P
territories:
  - id: ALL
    reps: [ann]
checks:
"""


def problems(checks: str, head: str = HEAD) -> list[str]:
    with pytest.raises(BadInput) as caught:
        parse_plan(head + checks, "plan.yaml")
    return [str(p) for p in caught.value.problems]


def test_checks_are_read_in_order_with_their_table_rule_and_line() -> None:
    plan = parse_plan(
        HEAD
        + "  - {name: no overloaded territory, over: territory, assert: workload_vs_mean <= 1.10}\n"
        + "  - name: every rep has a book\n"
        + "    over: rep\n"
        + "    assert: >-\n"
        + "      accounts >= 1\n"
        + "      OR layer != 'primary'\n",
        "plan.yaml",
    )
    first, second = plan.checks
    assert (first.name, first.over, first.line, first.reads) == (
        "no overloaded territory",
        CheckOver.TERRITORY,
        6,
        ["workload_vs_mean"],
    )
    assert (second.over, second.line, second.reads, second.figures) == (
        CheckOver.REP,
        7,
        ["layer", "accounts"],
        ["accounts"],
    )
    assert parse_plan(HEAD.replace("checks:\n", ""), "plan.yaml").checks == ()


def test_a_bad_assert_names_the_plan_file_line_and_column() -> None:
    assert problems("  - {name: c, over: plan, assert: accounts >== 1}\n") == [
        "plan.yaml:6:46 [c]: bad assert: syntax error: an operator is missing its right-hand side"
    ]
    found = problems("  - name: c\n    over: territory\n    assert: workload_vs_mean <= '1.1'\n")
    assert found == [
        "plan.yaml:8:33 [c]: bad assert: type mismatch: workload_vs_mean is a number field but '1.1' "
        "is a string; expected a number, e.g. 1000"
    ]


def test_a_column_of_another_table_or_none_is_named_with_the_table() -> None:
    assert problems("  - {name: c, over: territory, assert: unassigned = 0}\n") == [
        "plan.yaml:6:40 [c]: bad assert: over: territory has no column 'unassigned' (it is a column "
        "of over: plan)"
    ]
    (found,) = problems("  - {name: c, over: rep, assert: workload_vs_men <= 1.1}\n")
    assert found.startswith(
        "plan.yaml:6:34 [c]: bad assert: over: rep has no column 'workload_vs_men'; did you mean "
        "'workload_vs_mean'? its columns are layer, rep_id, accounts, workload, potential,"
    )


def test_potential_needs_the_plans_potential() -> None:
    assert problems("  - {name: c, over: plan, assert: accounts > 0 AND potential > 0}\n") == [
        "plan.yaml:6:52 [c]: reads potential, but the plan sets no `potential:`"
    ]
    with_potential = HEAD.replace("territories:", "potential: revenue\nterritories:")
    (check,) = parse_plan(with_potential + "  - {name: c, over: plan, assert: potential > 0}\n").checks
    assert check.reads == ["potential"]


def test_the_shape_of_each_check_is_checked() -> None:
    assert problems("  - {name: c, over: territories, assert: accounts > 0}\n") == [
        "plan.yaml:6:15: over: expected one of plan, territory, rep, got 'territories'"
    ]
    assert problems("  - {name: c, over: plan}\n") == ["plan.yaml:6:5: missing required key 'assert'"]
    (extra,) = problems("  - {name: c, over: plan, asert: accounts > 0, assert: accounts > 0}\n")
    assert "unknown key 'asert'; did you mean 'assert'?" in extra
    (twice,) = problems(
        "  - {name: c, over: plan, assert: accounts > 0}\n  - {name: c, over: rep, assert: accounts > 0}\n"
    )
    assert twice == "plan.yaml:7 [c]: a check of this name is on line 6"
