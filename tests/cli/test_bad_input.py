"""Every kind of bad input, through the real CLI: exit 2 and a message naming file:line[:column]."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from conftest import run_cli

BAD_INPUT = 2

ACCOUNTS = """\
account_id,state,employees,industry,postal_code,strategic,renewal_date
A1,NY,5000,Healthcare,02134,false,2025-01-01
A2,NJ,40,,07001,true,2024-06-30
"""

# The probed rule sits on line 12; its text starts at column 12 when double-quoted
# (`    rule: "`), column 11 when written as a plain YAML scalar.
RULE_PLAN = """\
name: Bad rules
fields:
  employees: number
  industry: string
  postal_code: string
  strategic: boolean
  renewal_date: date
territories:
  - id: east
    rule: "state = 'NY'"
  - id: probe
    rule: {value}
"""
RULE_LINE = 12

Run = subprocess.CompletedProcess[str]


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8", newline="")
    return path


def assert_bad_input(result: subprocess.CompletedProcess[str], where: str, *words: str) -> None:
    """Exit 2, the location `where` (file:line[:column]) named exactly, and each of `words`."""
    err = result.stderr
    assert result.returncode == BAD_INPUT, f"exit {result.returncode}\n{err}"
    assert "internal error" not in err, err
    assert "Traceback" not in err, err
    assert re.search(rf"(?<![\w.-]){re.escape(where)}(?!\d)", err), f"expected {where!r} in:\n{err}"
    for word in words:
        assert word.lower() in err.lower(), f"expected {word!r} in:\n{err}"


def rule_case(tmp_path: Path, rule: str) -> tuple[Path, int]:
    """A plan whose probe territory has `rule`; returns it and the file column of the rule's first char."""
    if '"' in rule:
        value, start = rule, 11  # a plain scalar, so the double quotes reach the rule as written
    else:
        value, start = f'"{rule}"', 12
    write(tmp_path, "accounts.csv", ACCOUNTS)
    return write(tmp_path, "plan.yaml", RULE_PLAN.format(value=value)), start


# (rule, the text the error must point at, key words of the message)
RULE_ERRORS = [
    pytest.param("state = = 'NY'", "= 'NY'", ["syntax error", "right-hand side"], id="syntax-error"),
    pytest.param("state = 'NY", "'NY", ["not closed", "single quote"], id="unclosed-quote"),
    pytest.param("stat = 'NY'", "stat", ["unknown field 'stat'", "did you mean 'state'"], id="unknown-field"),
    pytest.param(
        "employees = 'ten'",
        "'ten'",
        ["type mismatch", "employees is a number field", "'ten'", "a number"],
        id="number-vs-string",
    ),
    pytest.param(
        "state IN ('NY' 'NJ')", ("'NY'", "'NJ'"), ["a comma is missing"], id="missing-comma-in-list"
    ),
    pytest.param("a b", "b", ["side by side", "missing"], id="alias"),
    pytest.param(
        "state = 'NY' AND industry retail", "retail", ["side by side", "missing"], id="alias-after-and"
    ),
    pytest.param("state IN ()", "state", ["IN () is empty", "at least one value"], id="empty-in"),
    pytest.param(
        "strategic",
        "strategic",
        ["'strategic' on its own is not a condition", "strategic = TRUE"],
        id="bare-field",
    ),
    pytest.param(
        'industry = "Healthcare"',
        '"Healthcare"',
        ["double quotes", "single quotes", "'Healthcare'"],
        id="double-quoted-string",
    ),
    pytest.param(
        "state = industry",
        "industry",
        ["comparing a field with another field", "literal"],
        id="field-to-field",
    ),
    pytest.param("UPPER(state) = 'NY'", "UPPER", ["UPPER()", "not supported"], id="function"),
    pytest.param(
        "postal_code = 2134",
        "2134",
        ["type mismatch", "postal_code is a string field", "single quotes"],
        id="postal-code-number",
    ),
    pytest.param(
        "strategic = 'true'",
        "'true'",
        ["type mismatch", "strategic is a boolean field", "TRUE or FALSE"],
        id="boolean-vs-string",
    ),
    pytest.param(
        "renewal_date > '2024-01-01'",
        "'2024-01-01'",
        ["type mismatch", "renewal_date is a date field", "DATE '"],
        id="date-vs-plain-string",
    ),
    pytest.param(
        "employees LIKE '1%'",
        "employees",
        ["LIKE applies to string fields only", "employees is a number field"],
        id="like-on-number",
    ),
    pytest.param(
        "renewal_date > DATE '2024-02-30'", "'2024-02-30'", ["not a valid date", "YYYY-MM-DD"], id="bad-date"
    ),
    pytest.param("strategic > TRUE", "strategic", ["boolean field", "only = and !="], id="order-on-boolean"),
    pytest.param("strategic IS TRUE", "strategic", ["IS TRUE is not supported", "IS NULL"], id="is-true"),
    pytest.param(
        "industry ILIKE 'x%'", ("industry", "ILIKE"), ["ILIKE", "LIKE already ignores case"], id="ilike"
    ),
    pytest.param("state = ‘NY’", "‘NY’", ["curly quotes", "straight single quotes: 'NY'"], id="curly-quotes"),
    pytest.param("state = NY", "NY", ["if NY is a value", "state = 'NY'"], id="unquoted-value"),
    pytest.param("state = 'NY' && employees > 5", "&&", ["write AND for &&"], id="double-ampersand"),
    pytest.param("employees > 1,000", "1,000", ["thousands separator: 1000"], id="thousands-comma"),
    pytest.param("state = 'NY' || employees > 5", "||", ["write OR for ||"], id="double-pipe"),
    pytest.param("employees > $1,000", "$1,000", ["without a currency sign: 1000"], id="dollar-amount"),
    pytest.param("employees > 10%", "10%", ["write 0.1 or 10", "LIKE pattern"], id="percent-sign"),
]


@pytest.fixture(scope="module")
def rule_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Run, int]]:
    """Each bad rule validated in its own folder."""

    def one(rule: str) -> tuple[Run, int]:
        folder = tmp_path_factory.mktemp("rule")
        plan, start = rule_case(folder, rule)
        return run_cli(folder, "validate", plan.name, "--accounts", "accounts.csv"), start

    return {rule: one(rule) for rule in (case.values[0] for case in RULE_ERRORS)}


@pytest.mark.parametrize(("rule", "at", "words"), RULE_ERRORS)
def test_bad_rule_names_line_and_column(
    rule_runs: dict[str, tuple[Run, int]], rule: str, at: str | tuple[str, ...], words: list[str]
) -> None:
    result, start = rule_runs[rule]
    targets = at if isinstance(at, tuple) else (at,)
    places = [f"plan.yaml:{RULE_LINE}:{start + rule.index(t)}" for t in targets]
    assert any(re.search(rf"{re.escape(p)}(?!\d)", result.stderr) for p in places), (
        f"expected one of {places} in:\n{result.stderr}"
    )
    assert_bad_input(result, f"plan.yaml:{RULE_LINE}", "bad rule", *words)


def test_rule_error_names_the_territory(tmp_path: Path) -> None:
    # The location carries the territory id as its subject; a user with 300 territories needs it.
    plan, _ = rule_case(tmp_path, "stat = 'NY'")
    result = run_cli(tmp_path, "validate", plan.name, "--accounts", "accounts.csv")
    assert_bad_input(result, f"plan.yaml:{RULE_LINE}:12", "probe")


def test_assign_also_rejects_a_bad_rule(tmp_path: Path) -> None:
    plan, _ = rule_case(tmp_path, "employees = 'ten'")
    result = run_cli(tmp_path, "assign", plan.name, "--accounts", "accounts.csv")
    assert_bad_input(result, f"plan.yaml:{RULE_LINE}:24", "type mismatch")
    assert result.stdout == ""


def test_unknown_field_without_accounts_is_only_a_warning(tmp_path: Path) -> None:
    # Without --accounts the plan cannot know the book's columns, so 'stat' is taken on trust.
    plan, _ = rule_case(tmp_path, "stat = 'NY'")
    result = run_cli(tmp_path, "validate", plan.name)
    assert result.returncode == 0, result.stderr
    assert "stat" in result.stdout and "not declared" in result.stdout


@pytest.mark.parametrize("style", ["|", ">"])
def test_error_on_second_line_of_a_block_rule(tmp_path: Path, style: str) -> None:
    write(tmp_path, "accounts.csv", ACCOUNTS)
    plan = write(
        tmp_path,
        "plan.yaml",
        f"name: Multi-line\nterritories:\n  - id: east\n    rule: {style}\n"
        "      state = 'NY'\n"
        "      AND stat = 'NJ'\n",
    )
    result = run_cli(tmp_path, "validate", plan.name, "--accounts", "accounts.csv")
    # 'stat' is on line 6, after six spaces of indentation and "AND ".
    assert_bad_input(result, "plan.yaml:6:11", "unknown field 'stat'")


def test_error_on_second_line_of_a_double_quoted_rule(tmp_path: Path) -> None:
    write(tmp_path, "accounts.csv", ACCOUNTS)
    plan = write(
        tmp_path,
        "plan.yaml",
        "name: Multi-line\nterritories:\n  - id: east\n    rule: \"state = 'NY'\n      AND stat = 'NJ'\"\n",
    )
    result = run_cli(tmp_path, "validate", plan.name, "--accounts", "accounts.csv")
    assert_bad_input(result, "plan.yaml:5:11", "unknown field 'stat'")


def test_error_in_a_nested_child_rule(tmp_path: Path) -> None:
    write(tmp_path, "accounts.csv", ACCOUNTS)
    plan = write(
        tmp_path,
        "plan.yaml",
        "name: Nested\n"
        "territories:\n"
        "  - id: east\n"
        "    rule: \"state = 'NY'\"\n"
        "    children:\n"
        "      - id: east-ent\n"
        "        rule: \"employees >= '1000'\"\n",
    )
    result = run_cli(tmp_path, "validate", plan.name, "--accounts", "accounts.csv")
    # `        rule: "` is 15 characters; '1000' starts 13 characters into the rule.
    assert_bad_input(result, "plan.yaml:7:29", "type mismatch", "employees is a number field")


# ---- plan structure ------------------------------------------------------------------


def validate_plan(tmp_path: Path, text: str) -> subprocess.CompletedProcess[str]:
    write(tmp_path, "plan.yaml", text)
    return run_cli(tmp_path, "validate", "plan.yaml")


def test_duplicate_territory_id(tmp_path: Path) -> None:
    result = validate_plan(
        tmp_path,
        "name: Dup\nterritories:\n  - id: east\n    rule: \"state = 'NY'\"\n  - id: west\n  - id: east\n",
    )
    assert_bad_input(result, "plan.yaml:6", "duplicate territory id", "line 3", "east")


def test_layer_in_upper_case(tmp_path: Path) -> None:
    result = validate_plan(
        tmp_path, "name: Layers\nterritories:\n  - id: hc\n    layer: Overlay\n    rule: \"state = 'NY'\"\n"
    )
    assert_bad_input(result, "plan.yaml:4", "layer 'Overlay'", "lower case")


def test_layer_message_shows_the_allowed_characters(tmp_path: Path) -> None:
    result = validate_plan(
        tmp_path, "name: Layers\nterritories:\n  - id: hc\n    layer: Overlay\n    rule: \"state = 'NY'\"\n"
    )
    assert_bad_input(result, "plan.yaml:4", "[a-z0-9_-]+")


def test_child_naming_another_layer(tmp_path: Path) -> None:
    result = validate_plan(
        tmp_path,
        "name: Layers\n"
        "territories:\n"
        "  - id: hc\n"
        "    layer: overlay\n"
        "    rule: \"state = 'NY'\"\n"
        "    children:\n"
        "      - id: hc-east\n"
        "        layer: primary\n",
    )
    assert_bad_input(
        result, "plan.yaml:8", "layer 'primary'", "parent's layer 'overlay'", "only on root territories"
    )


def test_child_repeating_its_parents_layer_is_fine(tmp_path: Path) -> None:
    result = validate_plan(
        tmp_path,
        "name: Layers\nterritories:\n  - id: hc\n    layer: overlay\n"
        "    children:\n      - id: hc-east\n        layer: overlay\n",
    )
    assert result.returncode == 0, result.stderr


def test_bad_territory_id(tmp_path: Path) -> None:
    result = validate_plan(tmp_path, "name: Ids\nterritories:\n  - id: north east\n")
    assert_bad_input(result, "plan.yaml:3", "territory id 'north east'", "[A-Za-z0-9_.:-]+")


def test_territory_without_id(tmp_path: Path) -> None:
    result = validate_plan(tmp_path, "name: Ids\nterritories:\n  - id: a\n  - name: No id here\n")
    assert_bad_input(result, "plan.yaml:4", "missing required key 'id'")


def test_yaml_syntax_error(tmp_path: Path) -> None:
    result = validate_plan(
        tmp_path, "name: Broken\nterritories:\n  - id: a\n    rule: \"state = 'NY'\"\n   priority: 3\n"
    )
    assert_bad_input(result, "plan.yaml:5", "YAML syntax error")


def test_unknown_plan_key_with_suggestion(tmp_path: Path) -> None:
    result = validate_plan(tmp_path, "name: Typo\nterritorys:\n  - id: a\n")
    assert_bad_input(result, "plan.yaml:2", "unknown key 'territorys'", "did you mean 'territories'")


def test_unknown_territory_key_with_suggestion(tmp_path: Path) -> None:
    result = validate_plan(tmp_path, "name: Typo\nterritories:\n  - id: a\n    prority: 3\n")
    assert_bad_input(result, "plan.yaml:4", "unknown key 'prority'", "did you mean 'priority'")


@pytest.mark.parametrize("value", ["high", '"3"', "2.5"])
def test_priority_not_a_whole_number(tmp_path: Path, value: str) -> None:
    result = validate_plan(tmp_path, f"name: Prio\nterritories:\n  - id: a\n    priority: {value}\n")
    assert_bad_input(result, "plan.yaml:4", "priority", "expected a whole number")


def test_unknown_field_type(tmp_path: Path) -> None:
    result = validate_plan(tmp_path, "name: Types\nfields:\n  employees: integer\nterritories:\n  - id: a\n")
    assert_bad_input(result, "plan.yaml:3", "one of string, number, boolean, date", "'integer'")


def test_field_declared_twice(tmp_path: Path) -> None:
    result = validate_plan(
        tmp_path,
        "name: Types\nfields:\n  Employees: number\n  employees: number\nterritories:\n  - id: a\n",
    )
    assert_bad_input(result, "plan.yaml:4", "declared twice")


def test_rep_listed_twice(tmp_path: Path) -> None:
    result = validate_plan(tmp_path, "name: Reps\nterritories:\n  - id: a\n    reps: [r1, r1]\n")
    assert_bad_input(result, "plan.yaml:3", "listed twice")


def test_no_territories(tmp_path: Path) -> None:
    result = validate_plan(tmp_path, "name: Empty\nterritories: []\n")
    assert_bad_input(result, "plan.yaml:2", "at least one territory")


@pytest.mark.parametrize("text", ["", "- a\n- b\n"], ids=["empty-file", "a-list"])
def test_plan_that_is_not_a_mapping(tmp_path: Path, text: str) -> None:
    result = validate_plan(tmp_path, text)
    assert_bad_input(result, "plan.yaml:1", "expected a mapping")


def test_plan_file_not_found(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "validate", "missing.yaml")
    assert_bad_input(result, "missing.yaml", "not found")


def test_plan_file_not_in_utf8_names_the_first_bad_byte(tmp_path: Path) -> None:
    # Notepad's "ANSI" is Windows-1252: é is the single byte 0xe9.
    (tmp_path / "plan.yaml").write_bytes(
        "name: Caf\u00e9s\nterritories:\n  - id: caf\u00e9\n".encode("cp1252")
    )
    result = run_cli(tmp_path, "validate", "plan.yaml")
    assert_bad_input(result, "plan.yaml:1:10", "0xe9", "not UTF-8", "save it as UTF-8")


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_plan_saved_as_unicode_is_read_with_its_lines(tmp_path: Path, encoding: str) -> None:
    # Notepad's and Excel's "Unicode" is UTF-16 with a byte order mark; its errors keep their lines.
    write(tmp_path, "accounts.csv", ACCOUNTS)
    text = RULE_PLAN.format(value="\"stat = 'NY'\"")
    (tmp_path / "plan.yaml").write_bytes("\ufeff".encode(encoding) + text.encode(encoding))
    result = run_cli(tmp_path, "validate", "plan.yaml", "--accounts", "accounts.csv")
    assert_bad_input(result, f"plan.yaml:{RULE_LINE}:12", "unknown field 'stat'")


def test_plan_saved_as_unicode_is_stored_as_its_text(tmp_path: Path) -> None:
    write(tmp_path, "accounts.csv", ACCOUNTS)
    text = RULE_PLAN.format(value="\"state = 'NJ'\"")
    (tmp_path / "plan.yaml").write_bytes(text.encode("utf-16"))
    assert run_cli(tmp_path, "init").returncode == 0
    added = run_cli(tmp_path, "plan", "add", "plan.yaml")
    assert added.returncode == 0, added.stderr
    shown = run_cli(tmp_path, "plan", "show", "1")
    assert text.strip() in shown.stdout


def deep_tree(levels: int, rule: str = "employees >= 0") -> str:
    """A plan whose one root has a chain of children `levels` territories deep, each with `rule`."""
    lines = ["name: Deep", "territories:"]
    for level in range(levels):
        indent = "    " * level
        lines.append(f"{indent}  - id: t{level}")
        lines.append(f'{indent}    rule: "{rule}"')
        if level + 1 < levels:
            lines.append(f"{indent}    children:")
    return "\n".join(lines) + "\n"


def test_plan_tree_deeper_than_the_limit(tmp_path: Path) -> None:
    # 300 levels gave a 10 KB pydantic dump; now a line naming the first territory too deep.
    result = validate_plan(tmp_path, deep_tree(300))
    assert_bad_input(result, "plan.yaml:303", "t100", "plan trees are at most 100 levels deep")
    assert len(result.stderr) < 200, result.stderr


def test_plan_tree_at_the_limit_is_assigned(tmp_path: Path) -> None:
    write(tmp_path, "accounts.csv", ACCOUNTS)
    write(tmp_path, "plan.yaml", deep_tree(100))
    result = run_cli(tmp_path, "assign", "plan.yaml", "--accounts", "accounts.csv")
    assert result.returncode == 0, result.stderr
    assert ",t99," in result.stdout


def test_rule_nested_too_deeply(tmp_path: Path) -> None:
    # 500 parentheses overflowed Python's stack (exit 1); the 101st is refused.
    plan, start = rule_case(tmp_path, "(" * 500 + "state = 'NY'" + ")" * 500)
    result = run_cli(tmp_path, "validate", plan.name, "--accounts", "accounts.csv")
    assert_bad_input(result, f"plan.yaml:{RULE_LINE}:{start + 100}", "probe", "rules nest at most 100 levels")
    assert len(result.stderr) < 200, result.stderr


# ---- accounts file -------------------------------------------------------------------

PLAN = """\
name: Book checks
fields:
  employees: number
  renewal_date: date
  strategic: boolean
territories:
  - id: big
    rule: "employees >= 1000"
    reps: [r1, r2]
"""


def assign_book(
    tmp_path: Path, accounts: str, name: str = "accounts.csv"
) -> subprocess.CompletedProcess[str]:
    write(tmp_path, "plan.yaml", PLAN)
    write(tmp_path, name, accounts)
    result = run_cli(tmp_path, "assign", "plan.yaml", "--accounts", name)
    if result.returncode == BAD_INPUT:
        assert result.stdout == "", "no partial CSV on stdout when the input is bad"
    return result


def test_accounts_without_account_id(tmp_path: Path) -> None:
    result = assign_book(tmp_path, "id,employees\nA1,5\n")
    assert_bad_input(result, "accounts.csv:1", "account_id", "missing")


def test_duplicate_account_id_names_both_physical_lines(tmp_path: Path) -> None:
    # Line 1 header; A1 spans lines 2-4 (a quoted note with line breaks); A2 line 5; A1 again line 6.
    book = 'account_id,employees,notes\nA1,5,"met at expo\nfollow up\nin May"\nA2,7,x\nA1,9,y\n'
    result = assign_book(tmp_path, book)
    assert_bad_input(result, "accounts.csv:6", "duplicate account_id 'A1'", "line 2", "line 6")


def test_empty_account_id(tmp_path: Path) -> None:
    book = 'account_id,employees,notes\nA1,5,"two\nlines"\n   ,7,x\n'
    result = assign_book(tmp_path, book)
    assert_bad_input(result, "accounts.csv:4", "account_id is empty")


def test_bad_number_in_a_declared_number_column(tmp_path: Path) -> None:
    book = 'account_id,notes,employees\nA1,"two\nlines",5\nA2,x,ten\nA3,y,1e3\n'
    result = assign_book(tmp_path, book)
    assert_bad_input(result, "accounts.csv:4", "expected a number", "'ten'")


def test_bad_number_message_names_the_column(tmp_path: Path) -> None:
    result = assign_book(tmp_path, "account_id,employees\nA1,5\nA2,ten\n")
    assert_bad_input(result, "accounts.csv:3", "employees", "'ten'")


@pytest.mark.parametrize("cell", ["[n/a]", "[/n/a]"])
def test_bad_value_with_brackets_is_shown_as_written(tmp_path: Path, cell: str) -> None:
    # CRM exports do contain such placeholders; the message must echo them, not interpret them.
    result = assign_book(tmp_path, f"account_id,employees\nA1,5\nA2,{cell}\n")
    assert_bad_input(result, "accounts.csv:3", "expected a number", repr(cell))


def test_bad_date_in_a_declared_date_column(tmp_path: Path) -> None:
    book = "account_id,employees,renewal_date\nA1,5,2025-01-01\nA2,7,2025-02-30\n"
    result = assign_book(tmp_path, book)
    assert_bad_input(result, "accounts.csv:3", "expected a date as YYYY-MM-DD", "'2025-02-30'")


def test_bad_date_message_names_the_column(tmp_path: Path) -> None:
    book = "account_id,employees,renewal_date\nA1,5,31/01/2025\n"
    result = assign_book(tmp_path, book)
    assert_bad_input(result, "accounts.csv:2", "renewal_date", "'31/01/2025'")


def test_bad_boolean_in_a_declared_boolean_column(tmp_path: Path) -> None:
    book = "account_id,employees,strategic\nA1,5,true\nA2,7,yes\n"
    result = assign_book(tmp_path, book)
    assert_bad_input(result, "accounts.csv:3", "true or false", "'yes'")


def test_columns_differing_only_in_case(tmp_path: Path) -> None:
    result = assign_book(tmp_path, "account_id,Industry,industry\nA1,x,y\n")
    assert_bad_input(result, "accounts.csv:1", "'Industry'", "'industry'", "differ only in case")


def test_row_with_too_many_fields(tmp_path: Path) -> None:
    book = 'account_id,notes,employees\nA1,"a\nb\nc",1\nA2,x,2,3\nA3,y,4\n'
    result = assign_book(tmp_path, book)
    assert_bad_input(result, "accounts.csv:5", "expected 3 fields", "found 4")


def test_row_with_too_few_fields(tmp_path: Path) -> None:
    # A short row is as ragged as a long one: its cells have shifted, so its data cannot be trusted.
    result = assign_book(tmp_path, "account_id,state,employees\nA1,NY,5\nA2,7\nA3,NJ,4\n")
    assert_bad_input(result, "accounts.csv:3", "expected 3 fields", "found 2")


# Over the csv module's default field limit (131,072), which finding a bad row's line ran into.
HUGE_NOTE = "x" * 200_000


def test_a_huge_cell_in_a_column_the_plan_never_reads(tmp_path: Path) -> None:
    result = assign_book(tmp_path, f"account_id,notes,employees\nA1,{HUGE_NOTE},5\nA2,short,ten\n")
    assert_bad_input(result, "accounts.csv:3", "expected a number", "'ten'")


def test_import_with_a_huge_description_names_the_bad_line(tmp_path: Path) -> None:
    write(
        tmp_path,
        "huge.csv",
        f"Id,Name,Description,NumberOfEmployees\nA1,Acme,{HUGE_NOTE},5\nA2,Bolt,short,lots\n",
    )
    url = f"sqlite:///{tmp_path / 'territorial.db'}"
    assert run_cli(tmp_path, "--database-url", url, "init").returncode == 0
    result = run_cli(
        tmp_path, "--database-url", url, "import", "accounts", "huge.csv", "--mapping", "salesforce"
    )
    assert_bad_input(result, "huge.csv:3", "'lots'")


def test_accounts_file_not_found(tmp_path: Path) -> None:
    write(tmp_path, "plan.yaml", PLAN)
    result = run_cli(tmp_path, "assign", "plan.yaml", "--accounts", "nowhere.csv")
    assert_bad_input(result, "nowhere.csv", "not found")


def test_windows_1252_accounts_are_read_as_excel_wrote_them(tmp_path: Path) -> None:
    write(tmp_path, "plan.yaml", PLAN)
    (tmp_path / "accounts.csv").write_bytes(b"account_id;name;employees\nA1;Caf\xe9 Nord \x93Bio\x94;5\n")
    result = run_cli(tmp_path, "explain", "plan.yaml", "--accounts", "accounts.csv", "--account", "A1")
    assert result.returncode == 0, result.stderr


def test_empty_accounts_file(tmp_path: Path) -> None:
    result = assign_book(tmp_path, "")
    assert_bad_input(result, "accounts.csv:1", "empty", "header")


def test_accounts_with_an_unknown_extension(tmp_path: Path) -> None:
    result = assign_book(tmp_path, "account_id\nA1\n", name="accounts.json")
    assert_bad_input(result, "accounts.json", ".parquet file")


def test_accounts_xlsx_that_is_not_a_workbook(tmp_path: Path) -> None:
    result = assign_book(tmp_path, "account_id\nA1\n", name="accounts.xlsx")
    assert_bad_input(result, "accounts.xlsx", "not a readable Excel workbook")


def test_unreadable_parquet(tmp_path: Path) -> None:
    result = assign_book(tmp_path, "not parquet at all", name="accounts.parquet")
    assert_bad_input(result, "accounts.parquet", "not a readable Parquet file")


# ---- workload ------------------------------------------------------------------------

WORKLOAD_PLAN = """\
name: Workload
fields:
  employees: number
workload: {field}
territories:
  - id: all
    reps: [r1, r2]
"""


def test_negative_workload(tmp_path: Path) -> None:
    write(tmp_path, "plan.yaml", WORKLOAD_PLAN.format(field="employees"))
    write(tmp_path, "accounts.csv", "account_id,employees,industry\nA1,5,x\nA2,-3,y\nA3,-1,z\n")
    result = run_cli(tmp_path, "assign", "plan.yaml", "--accounts", "accounts.csv")
    assert_bad_input(result, "accounts.csv:3", "workload must not be negative", "-3", "2 negative")


def test_workload_naming_a_string_field(tmp_path: Path) -> None:
    write(tmp_path, "plan.yaml", WORKLOAD_PLAN.format(field="industry"))
    write(tmp_path, "accounts.csv", "account_id,employees,industry\nA1,5,x\n")
    result = run_cli(tmp_path, "assign", "plan.yaml", "--accounts", "accounts.csv")
    assert_bad_input(result, "plan.yaml:4", "workload must name a number field", "industry is a string")


def test_workload_naming_an_unknown_field(tmp_path: Path) -> None:
    write(tmp_path, "plan.yaml", WORKLOAD_PLAN.format(field="employes"))
    write(tmp_path, "accounts.csv", "account_id,employees,industry\nA1,5,x\n")
    result = run_cli(tmp_path, "assign", "plan.yaml", "--accounts", "accounts.csv")
    assert_bad_input(result, "plan.yaml:4", "unknown field 'employes'", "did you mean 'employees'")


# ---- reps file -----------------------------------------------------------------------


def assign_with_reps(tmp_path: Path, reps: str) -> subprocess.CompletedProcess[str]:
    write(tmp_path, "plan.yaml", WORKLOAD_PLAN.format(field="employees"))
    write(tmp_path, "accounts.csv", "account_id,employees\nA1,5\n")
    write(tmp_path, "reps.csv", reps)
    return run_cli(tmp_path, "assign", "plan.yaml", "--accounts", "accounts.csv", "--reps", "reps.csv")


def test_reps_file_missing_a_plan_rep(tmp_path: Path) -> None:
    result = assign_with_reps(tmp_path, "rep_id,name,active\nr1,Ann,true\n")
    assert_bad_input(result, "plan.yaml:6", "reps not in reps.csv", "r2")


def test_reps_file_without_rep_id(tmp_path: Path) -> None:
    result = assign_with_reps(tmp_path, "id,name,active\nr1,Ann,true\nr2,Bob,false\n")
    assert_bad_input(result, "reps.csv:1", "rep_id", "missing")


def test_reps_file_with_a_bad_active_flag(tmp_path: Path) -> None:
    result = assign_with_reps(tmp_path, "rep_id,name,active\nr1,Ann,maybe\nr2,Bob,no\n")
    assert_bad_input(result, "reps.csv:2", "yes or no (or true or false)", "'maybe'")


def test_reps_file_with_a_duplicate_rep(tmp_path: Path) -> None:
    result = assign_with_reps(tmp_path, "rep_id,name\nr1,Ann\nr2,Bob\nr1,Ann again\n")
    assert_bad_input(result, "reps.csv:4", "duplicate rep_id 'r1'", "line 2", "line 4")


def test_reps_file_not_found(tmp_path: Path) -> None:
    write(tmp_path, "plan.yaml", WORKLOAD_PLAN.format(field="employees"))
    write(tmp_path, "accounts.csv", "account_id,employees\nA1,5\n")
    result = run_cli(tmp_path, "assign", "plan.yaml", "--accounts", "accounts.csv", "--reps", "none.csv")
    assert_bad_input(result, "none.csv", "not found")


# ---- explain -------------------------------------------------------------------------


def test_explain_an_unknown_account(tmp_path: Path) -> None:
    write(tmp_path, "plan.yaml", PLAN)
    write(tmp_path, "accounts.csv", "account_id,employees\nA1,5\n")
    result = run_cli(tmp_path, "explain", "plan.yaml", "--accounts", "accounts.csv", "--account", "ZZ9")
    assert_bad_input(result, "accounts.csv", "no account with account_id 'ZZ9'")


# ---- nothing is written when the input is bad ------------------------------------------


@pytest.mark.parametrize(
    ("accounts", "reps"),
    [
        pytest.param("account_id,employees\nA1,5\nA2,ten\n", None, id="bad-accounts"),
        pytest.param("account_id,employees\nA1,5\n", "rep_id\nr1\n", id="bad-reps"),
    ],
)
def test_assign_out_leaves_no_file_on_bad_input(tmp_path: Path, accounts: str, reps: str | None) -> None:
    write(tmp_path, "plan.yaml", PLAN)
    write(tmp_path, "accounts.csv", accounts)
    extra: list[str] = []
    if reps is not None:
        write(tmp_path, "reps.csv", reps)
        extra = ["--reps", "reps.csv"]
    out = tmp_path / "out"
    out.mkdir()
    for target in ("result.csv", "result.parquet"):
        result = run_cli(
            tmp_path,
            "assign",
            "plan.yaml",
            "--accounts",
            "accounts.csv",
            *extra,
            "--out",
            f"out/{target}",
            "--summary",
            "out/summary.csv",
        )
        assert result.returncode == BAD_INPUT, result.stderr
        assert sorted(p.name for p in out.iterdir()) == [], "no result, summary or temporary file"


def test_assign_out_keeps_the_previous_file_on_bad_input(tmp_path: Path) -> None:
    write(tmp_path, "plan.yaml", PLAN)
    write(tmp_path, "accounts.csv", "account_id,employees\nA1,5\nA1,6\n")
    previous = write(tmp_path, "result.csv", "yesterday's assignment\n")
    result = run_cli(tmp_path, "assign", "plan.yaml", "--accounts", "accounts.csv", "--out", "result.csv")
    assert_bad_input(result, "accounts.csv:3", "duplicate account_id")
    assert previous.read_text(encoding="utf-8") == "yesterday's assignment\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["accounts.csv", "plan.yaml", "result.csv"]


# ---- HubSpot's ids are all digits ---------------------------------------------------------------

HUBSPOT_COMPANIES = Path(__file__).resolve().parents[1] / "data" / "crm" / "hubspot_companies_inc5000.csv"


def test_hubspot_rep_ids_unquoted_in_the_plan(tmp_path: Path) -> None:
    # HubSpot's user ids are digits, which YAML reads as numbers: say to quote them.
    write(
        tmp_path,
        "plan.yaml",
        "name: HS\nterritories:\n  - id: OH\n    rule: state = 'OH'\n    reps: [41000137]\n",
    )
    result = run_cli(
        tmp_path, "validate", "plan.yaml", "--accounts", HUBSPOT_COMPANIES, "--mapping", "hubspot"
    )
    assert_bad_input(
        result, "plan.yaml:5:12", "expected a string, got 41000137", "quotes '41000137'", "digits"
    )


def test_hubspot_account_id_unquoted_in_a_rule(tmp_path: Path) -> None:
    write(
        tmp_path, "plan.yaml", "name: HS\nterritories:\n  - id: named\n    rule: account_id IN (5800007919)\n"
    )
    result = run_cli(
        tmp_path, "validate", "plan.yaml", "--accounts", HUBSPOT_COMPANIES, "--mapping", "hubspot"
    )
    assert_bad_input(result, "plan.yaml:4:26", "type mismatch", "single quotes: '5800007919'")


def test_thousands_separator_in_a_declared_number_column_of_a_file(tmp_path: Path) -> None:
    # A file given straight to assign is read as it is; --mapping (or import) reads 1,500 as 1500.
    write(tmp_path, "accounts.csv", 'account_id,employees\nA1,"1,500"\nA2,40\n')
    write(tmp_path, "plan.yaml", "name: P\nfields: {employees: number}\nterritories:\n  - id: big\n")
    result = run_cli(tmp_path, "assign", "plan.yaml", "--accounts", "accounts.csv")
    assert_bad_input(result, "accounts.csv:2", "got '1,500'", "write 1500", "--mapping plain")
    mapped = run_cli(tmp_path, "assign", "plan.yaml", "--accounts", "accounts.csv", "--mapping", "plain")
    assert mapped.returncode == 0, mapped.stderr


@pytest.mark.parametrize(
    ("cells", "line", "value"),
    [(["1500", "900", '"2,500"'], 4, "2,500"), (['"1,500"', "$1200"], 2, "1,500")],
)
def test_numbers_written_with_separators_are_advised_a_mapping_not_null_words(
    tmp_path: Path, cells: list[str], line: int, value: str
) -> None:
    # Found by a new-user pass: the advice was to list '2,500' under null_words, which empties a real
    # value, or (with no plain number in the column) to quote 1000, which compares text.
    rows = "".join(f"A{i},{cell}\n" for i, cell in enumerate(cells))
    (tmp_path / "a.csv").write_text("account_id,employees\n" + rows)
    (tmp_path / "p.yaml").write_text(
        "name: P\nterritories:\n  - id: BIG\n    rule: employees > 1000\n    reps: [r1]\n"
    )
    result = run_cli(tmp_path, "assign", "p.yaml", "--accounts", "a.csv", "--out", "o.csv")
    assert result.returncode == 2, result.stderr
    assert f"because of {value!r} on line {line}" in result.stderr
    assert "give --mapping plain" in result.stderr
    assert "null_words" not in result.stderr and "single quotes" not in result.stderr
