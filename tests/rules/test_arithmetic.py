"""Numeric expressions for workload and metrics."""

from __future__ import annotations

import polars as pl
import pytest

from territorial.domain.fields import FieldType
from territorial.rules.arithmetic import fields_in, numeric_expression
from territorial.rules.parser import MAX_RULE_NESTING, RuleError

SCHEMA = {"employees": FieldType.NUMBER, "visits": FieldType.NUMBER, "name": FieldType.STRING}
FRAME = pl.DataFrame({"employees": [10.0, None], "visits": [2.0, 3.0], "name": ["a", "b"]})


def values(text: str) -> list[float | None]:
    return FRAME.select(numeric_expression(text, SCHEMA)).to_series().to_list()


def test_arithmetic_over_fields() -> None:
    assert values("employees * 2 + visits / 2") == [21.0, None]
    assert values("COALESCE(employees, 0) * (1 + visits)") == [30.0, 0.0]
    assert values("-visits") == [-2.0, -3.0]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("emploees + 1", "unknown field 'emploees'; did you mean 'employees'?"),
        ("name * 2", "field 'name' is string, not a number"),
        ("UPPER(name)", "is not allowed here"),
        ("1 +", "cannot read the expression"),
        ("", "the expression is empty"),
    ],
)
def test_mistakes_are_named(text: str, message: str) -> None:
    with pytest.raises(RuleError, match=message.replace("(", r"\(").replace("?", r"\?")):
        numeric_expression(text, SCHEMA)


def test_nesting_deeper_than_the_limit_is_refused() -> None:
    # 500 parentheses overflowed Python's stack inside sqlglot (exit 1 from --workload).
    with pytest.raises(RuleError) as caught:
        numeric_expression("(" * 500 + "employees" + ")" * 500, SCHEMA)
    assert f"expressions nest at most {MAX_RULE_NESTING} levels" in caught.value.message
    assert fields_in("(" * 500 + "employees" + ")" * 500) == set()
