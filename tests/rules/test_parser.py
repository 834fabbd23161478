"""The parser accepts the language's constructs and rejects everything else with a hint."""

from __future__ import annotations

from datetime import date

import pytest

from territorial.domain.fields import FieldType
from territorial.rules.ast import And, Between, CompareOp, Comparison, InList, IsNull, Like, Not, Or
from territorial.rules.parser import MAX_RULE_NESTING, RuleError, parse_rule
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
        # Slips from Excel, SOQL and other languages: each hint names what to write.
        ("state = ‘NY’", "‘NY’ has curly quotes", 8),
        ("state IN (‘NY’, ‘NJ’)", "write straight single quotes: 'NY'", 10),
        ("name = “Acme Corp”", "write straight single quotes: 'Acme Corp'", 7),
        ("state = NY", "if NY is a value, put it in single quotes: state = 'NY'", 8),
        ("state IN (NY, 'NJ')", "if NY is a value, put it in single quotes: 'NY'", 10),
        ("state = 'NY' && employees > 5", "write AND for &&", 13),
        ("state = 'NY' || state = 'NJ'", "write OR for ||", 13),
        ("annual_revenue > $1000", "without a currency sign: 1000", 17),
        ("annual_revenue > $1,000.50", "without a currency sign: 1000.50", 17),
        ("discount > 10%", "write 0.1 or 10, whichever the column holds", 11),
        ("discount BETWEEN -1.5% AND 2", "write -0.015 or -1.5", 17),
        ("discount IN (10 %, 20%)", "10% is not a number", 13),
        ("name CONTAINS 'acme'", "name LIKE '%acme%'", 5),
        ("products INCLUDES ('a', 'b')", "products LIKE '%a%' OR products LIKE '%b%'", 9),
        ("products includes ('a')", "products LIKE '%a%'", 9),
        ("employees > 1,000", "without a thousands separator: 1000", 12),
        ("employees BETWEEN 1,000,000 AND 5", "1000000", 18),
        ("employees > -", "'-' must be followed by a number", 12),
        ("employees BETWEEN 5", "BETWEEN needs a low and a high value", 18),
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


def test_a_thousands_comma_inside_an_in_list_is_two_values() -> None:
    # `IN (1,000)` is a valid list of 1 and 0, so the hint only comes when the rule does not parse.
    rule = parse_rule("employees IN (1,000)")
    assert isinstance(rule, InList) and [v.value for v in rule.values] == [1.0, 0.0]


def test_double_equals_reads_as_equals() -> None:
    assert parse_rule("employees == 5") == parse_rule("employees = 5")


# (rule, offset of the token that goes one level too deep)
@pytest.mark.parametrize(
    ("text", "pos"),
    [
        ("(" * 101 + "state = 'NY'" + ")" * 101, 100),
        ("NOT " * 101 + "state = 'NY'", 400),
        ("NOT (" * 51 + "state = 'NY'" + ")" * 51, 250),
        ("(" * 500 + "state = 'NY'" + ")" * 500, 100),
        ("NOT " * 500 + "state = 'NY'", 400),
    ],
    ids=["parens-101", "not-101", "not-paren-51", "parens-500", "not-500"],
)
def test_nesting_deeper_than_the_limit_is_refused(text: str, pos: int) -> None:
    with pytest.raises(RuleError) as caught:
        parse_rule(text)
    assert f"rules nest at most {MAX_RULE_NESTING} levels" in caught.value.message
    assert caught.value.pos == pos


def test_nesting_at_the_limit_parses() -> None:
    assert isinstance(parse_rule("(" * 100 + "state = 'NY'" + ")" * 100), Comparison)
    assert isinstance(parse_rule("NOT " * 99 + "state IN ('NY')"), Not)


def test_equals_empty_text_warns_that_it_never_matches() -> None:
    # Found by a new-user pass: `industry = ''` to catch blank cells matched nothing, silently.
    warnings = check_rule(parse_rule("industry = ''"), SCHEMA)
    assert [w.message for w in warnings] == [
        "industry = '' is never TRUE: empty cells are NULL; write industry IS NULL"
    ]
    assert check_rule(parse_rule("industry != ''"), SCHEMA) == []  # every cell with a value: no surprise


def test_percent_and_dollar_inside_strings_are_text() -> None:
    # The hints for 10% and $1000 look at tokens outside string literals only.
    rule = parse_rule("name LIKE '10%' AND plan_name = '$1000 tier'")
    assert isinstance(rule, And) and isinstance(rule.items[0], Like)
