"""Null words: N/A, null, - and the like are empty in number, date and boolean columns; in text
columns only the plan's null_words are. A column read as text because of one word says so."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from conftest import run_cli
from territorial.domain.fields import FieldType, NullWords
from territorial.domain.normalize import normalize
from territorial.io.accounts import read_accounts

ROWS = (
    "account_id,employees,closed,country\nA1,5,2026-01-02,NA\nA2,N/A,null,-\nA3,200,Select,US\nA4,#n/a,-,US\n"
)


def test_null_words_are_empty_in_typed_columns_and_counted(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text(ROWS)
    book = read_accounts(tmp_path / "a.csv")
    assert book.schema["employees"] is FieldType.NUMBER
    assert book.schema["closed"] is FieldType.DATE
    assert book.frame["employees"].to_list() == [5.0, None, 200.0, None]
    assert book.frame["country"].to_list() == ["NA", "-", "US", "US"]  # text: Namibia stays
    notes = {p.location.subject: p.message for p in book.notes}
    assert notes["employees"].startswith("2 cells read as empty (#n/a ×1, N/A ×1)")
    assert notes["closed"].startswith("3 cells read as empty (- ×1, Select ×1, null ×1)")
    assert "country" not in notes


def test_listed_words_are_empty_in_text_columns_too(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text(ROWS)
    book = read_accounts(tmp_path / "a.csv", null_words=NullWords(("-",)))
    assert book.frame["country"].to_list() == ["NA", None, "US", "US"]


def test_without_the_default_a_column_read_as_text_says_why(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text(ROWS)
    book = read_accounts(tmp_path / "a.csv", null_words=NullWords(default=False))
    assert book.schema["employees"] is FieldType.STRING
    assert book.read_as_text["employees"] == "employees was read as text because of 'N/A' on line 3"
    assert book.notes == []


def test_a_rule_comparing_such_a_column_with_a_number_is_told_why(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("account_id,employees\nA1,5\nA2,unknown\nA3,200\n")
    plan = "name: P\n{extra}territories:\n  - id: BIG\n    rule: employees >= 100\n"
    (tmp_path / "p.yaml").write_text(plan.format(extra=""))
    refused = run_cli(tmp_path, "assign", "p.yaml", "--accounts", "a.csv")
    assert refused.returncode == 2
    assert "employees was read as text because of 'unknown' on line 3" in refused.stderr
    assert "fields: {employees: number}" in refused.stderr
    assert "single quotes" not in refused.stderr  # quoting 100 would compare text: 99 >= '100'
    (tmp_path / "p.yaml").write_text(plan.format(extra="null_words: [unknown]\n"))
    assigned = run_cli(tmp_path, "assign", "p.yaml", "--accounts", "a.csv")
    assert assigned.returncode == 0, assigned.stderr
    assert [line.split(",")[2] for line in assigned.stdout.splitlines()[1:]] == ["", "", "BIG"]
    assert "1 cell read as empty (unknown ×1)" in assigned.stderr


def test_import_reads_null_words_as_empty_and_records_them() -> None:
    frame = pl.DataFrame({"employees": ["5", "N/A", "-"], "name": ["N/A", "x", "-"]})
    result = normalize(frame, {"employees": FieldType.NUMBER})
    assert result.frame["employees"].to_list() == [5.0, None, None]
    assert result.frame["name"].to_list() == ["N/A", "x", "-"]
    assert result.problems.height == 0
    assert result.changes.filter(pl.col("rule") == "null_word")["old"].to_list() == ["N/A", "-"]


def test_the_reason_is_the_word_that_is_no_null_word(tmp_path: Path) -> None:
    # Found by a new-user pass: with N/A, - and Select mixed in, the column did not look like
    # numbers and the message advised quotes ('99' >= '100' is then text).
    (tmp_path / "a.csv").write_text(
        "account_id,employees\nA1,150\nA2,N/A\nA3,unknown\nA4,99\nA5,-\nA6,Select\n"
    )
    book = read_accounts(tmp_path / "a.csv")
    assert book.read_as_text["employees"] == "employees was read as text because of 'unknown' on line 4"


def test_a_plans_null_words_are_read_in_the_workspace_as_in_a_file(tmp_path: Path) -> None:
    # The workspace's accounts were read without the plan's null_words: `plan add` and `assign
    # --plan` refused `tier >= 100` (tier read as text for 'unknown') where the file run took it.
    (tmp_path / "a.csv").write_text("account_id,tier\nA1,5\nA2,unknown\nA3,200\n")
    (tmp_path / "p.yaml").write_text(
        "name: P\nnull_words: [unknown]\nterritories:\n  - id: BIG\n    rule: tier >= 100\n"
    )
    url = f"sqlite:///{tmp_path / 'ws.db'}"
    for step in (["init"], ["import", "accounts", "a.csv"], ["plan", "add", "p.yaml"]):
        done = run_cli(tmp_path, "--database-url", url, *step)
        assert done.returncode == 0, done.stderr
    stored = run_cli(tmp_path, "--database-url", url, "assign", "--plan", "1", "--out", "stored.csv")
    assert stored.returncode == 0, stored.stderr
    from_file = run_cli(tmp_path, "assign", "p.yaml", "--accounts", "a.csv", "--out", "file.csv")
    assert from_file.returncode == 0, from_file.stderr
    assert (tmp_path / "stored.csv").read_text() == (tmp_path / "file.csv").read_text()
    assert "A3,primary,BIG" in (tmp_path / "stored.csv").read_text()
