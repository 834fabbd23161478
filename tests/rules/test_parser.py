"""The parser accepts the language's constructs and rejects everything else with a hint."""

from __future__ import annotations

from datetime import date

import pytest

from territorial.domain.fields import FieldType
from territorial.rules.ast import And, Between, CompareOp, Comparison, InList, IsNull, Like, Not, Or
from territorial.rules.parser import RuleError, parse_rule
from territorial.rules.types import check_rule

SCHEMA = {
    "industry": FieldType.STRING,
    "employees": FieldType.NUMBER,
    "strategic": FieldType.BOOLEAN,
    "postal_code": FieldType.STRING,
    "created": FieldType.DATE,
    "account_id": FieldType.STRING,
}


def test_comparisons_and_flipped_operands() -> None:
    rule = parse_rule("1000 <= employees")
    assert isinstance(rule, Comparison) and rule.op is CompareOp.GE and rule.right.value == 1000.0
    assert parse_rule("employees <> 5") == parse_rule("employees != 5")


def test_boolean_structure_is_flattened() -> None:
    rule = parse_rule("a = 1 AND b = 2 AND (c = 3 OR NOT d = 4)")
    assert isinstance(rule, And) and len(rule.items) == 3
    assert isinstance(rule.items[2], Or) and isinstance(rule.items[2].items[1], Not)


@pytest.mark.parametrize(
    ("text", "kind", "negated"),
    [
        ("x IN ('a', 'b')", InList, False),
        ("x NOT IN ('a')", InList, True),
        ("n BETWEEN 1 AND 5", Between, False),
        ("n NOT BETWEEN 1 AND 5", Between, True),
        ("x LIKE 'a%'", Like, False),
        ("x NOT LIKE 'a_'", Like, True),
        ("x IS NULL", IsNull, False),
        ("x IS NOT NULL", IsNull, True),
    ],
)
def test_predicates(text: str, kind: type, negated: bool) -> None:
    rule = parse_rule(text)
    assert isinstance(rule, kind) and rule.negated is negated


def test_literals() -> None:
    rule = parse_rule(
        "created >= DATE '2024-02-29' AND strategic = FALSE AND n = -2.5 AND x IN ('it''s', NULL)"
    )
    assert isinstance(rule, And)
    values = [getattr(item, "right", None) for item in rule.items[:3]]
    assert [v.value for v in values if v is not None] == [date(2024, 2, 29), False, -2.5]
    last = rule.items[3]
    assert isinstance(last, InList) and [v.value for v in last.values] == ["it's", None]


def test_escape_clause() -> None:
    rule = parse_rule("x LIKE '100!%' ESCAPE '!'")
    assert isinstance(rule, Like) and rule.escape == "!"


def test_field_names_are_case_insensitive() -> None:
    assert parse_rule("Industry = 'x'") == parse_rule("INDUSTRY = 'x'")


@pytest.mark.parametrize(
    ("text", "words", "pos"),
    [
        ("state IN ('NY' 'NJ')", "comma is missing", 10),
        ("a b", "side by side", 2),
        ("x IN ()", "empty", 0),
        ("strategic", "strategic = TRUE", 0),
        ('industry = "Healthcare"', "single quotes", 11),
        ("employees = headcount", "another field", 12),
        ("lower(industry) = 'x'", "LOWER", 0),
        ("industry = 'x", "not closed", 11),
        ("a = = 1", "missing its right-hand side", 4),
        ("d = DATE '2024-13-01'", "not a valid date", 9),
        ("x IN (SELECT 1)", "subquery", 0),
        ("x ILIKE 'a'", "LIKE already ignores case", 2),
        ("a = 1; b = 2", "';'", 4),
        ("x LIKE 'X%' ESCAPE 'X'", "must be punctuation", 19),
        ("x LIKE '50!' ESCAPE '!'", "ends with the escape character", 7),
    ],
)
def test_rejections_name_the_construct_and_position(text: str, words: str, pos: int) -> None:
    with pytest.raises(RuleError) as caught:
        parse_rule(text)
    assert words in caught.value.message
    assert caught.value.pos == pos


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("postal_code = 2134", "postal_code is a string field"),
        ("strategic = 'true'", "expected TRUE or FALSE"),
        ("created > '2024-01-01'", "DATE '2024-01-31'"),
        ("employees = 'ten'", "employees is a number field"),
        ("employees LIKE '1%'", "LIKE applies to string fields only"),
        ("strategic > FALSE", "only = and != apply"),
        ("industri = 'x'", "did you mean 'industry'"),
    ],
)
def test_type_errors(text: str, words: str) -> None:
    with pytest.raises(RuleError) as caught:
        check_rule(parse_rule(text), SCHEMA)
    assert words in caught.value.message


def test_equals_null_is_legal_but_warned() -> None:
    warnings = check_rule(parse_rule("industry = NULL"), SCHEMA)
    assert len(warnings) == 1 and "IS NULL" in warnings[0].message


def test_fifty_thousand_literals_parse() -> None:
    zips = ", ".join(f"'{i:05d}'" for i in range(50_000))
    rule = parse_rule(f"postal_code IN ({zips})")
    assert isinstance(rule, InList) and len(rule.values) == 50_000 and rule.values[0].value == "00000"
