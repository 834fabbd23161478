"""Regression tests for defects found in review, each through the real CLI on real files."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from conftest import run_cli

POOL = """\
name: pool
territories:
  - id: POOL
    reps: ['1001', '1002']
"""


def test_numeric_owner_ids_keep_their_accounts(tmp_path: Path) -> None:
    (tmp_path / "plan.yaml").write_text(POOL)
    (tmp_path / "a.csv").write_text("account_id,owner_id\na,1002\nb,1002\nc,\n")
    result = run_cli(tmp_path, "assign", "plan.yaml", "--accounts", "a.csv")
    assert result.returncode == 0, result.stderr
    rows = pl.read_csv(result.stdout.encode(), schema_overrides={"rep_id": pl.String})
    assert rows.get_column("rep_id").to_list() == ["1002", "1002", "1001"]
    pl.DataFrame({"account_id": ["a", "b"], "owner_id": [1002.0, None]}).write_parquet(tmp_path / "a.parquet")
    explained = run_cli(tmp_path, "explain", "plan.yaml", "--accounts", "a.parquet", "--account", "a")
    assert "Rep: 1002." in explained.stdout


def test_explain_uses_case_insensitive_trimmed_column_names(tmp_path: Path) -> None:
    (tmp_path / "plan.yaml").write_text(
        "name: x\nterritories:\n  - id: R\n    rule: industry = 'Retail'\n    reps: [r1, r2]\n"
    )
    (tmp_path / "a.csv").write_text("Account_ID, Industry, Owner_ID\nA-1, Healthcare, r2\n")
    result = run_cli(tmp_path, "explain", "plan.yaml", "--accounts", "a.csv", "--account", "A-1")
    assert result.returncode == 0, result.stderr
    assert "Account A-1" in result.stdout
    assert "industry = 'Retail' is FALSE (industry = 'Healthcare')" in result.stdout


def test_explain_shows_values_under_not(tmp_path: Path) -> None:
    (tmp_path / "plan.yaml").write_text(
        "name: x\nterritories:\n  - id: N\n    rule: NOT industry = 'Retail'\n"
    )
    (tmp_path / "a.csv").write_text("account_id,industry\nA,\n")
    out = run_cli(tmp_path, "explain", "plan.yaml", "--accounts", "a.csv", "--account", "A").stdout
    assert "industry = 'Retail' is UNKNOWN (industry is empty)" in out


def test_validate_without_accounts_accepts_fields_used_only_with_null_tests(tmp_path: Path) -> None:
    (tmp_path / "plan.yaml").write_text(
        "name: x\nterritories:\n  - id: N\n    rule: industry IS NULL OR website = NULL\n"
    )
    result = run_cli(tmp_path, "validate", "plan.yaml")
    assert result.returncode == 0, result.stderr
    assert "website = NULL is never TRUE" in result.stdout


def test_unclosed_quote_is_bad_input_not_a_lost_tail(tmp_path: Path) -> None:
    (tmp_path / "plan.yaml").write_text(POOL)
    (tmp_path / "a.csv").write_text('account_id,state\nA,"NY\nB,TX\n')
    result = run_cli(tmp_path, "assign", "plan.yaml", "--accounts", "a.csv")
    assert result.returncode == 2
    assert "a.csv:2" in result.stderr and "never closed" in result.stderr


def test_unwritable_output_and_folder_input_are_bad_input(tmp_path: Path) -> None:
    (tmp_path / "plan.yaml").write_text(POOL)
    (tmp_path / "a.csv").write_text("account_id\na\n")
    (tmp_path / "folder.csv").mkdir()
    (tmp_path / "file").write_text("")
    for args in (["--out", "folder.csv"], ["--out", "file/x.csv"]):
        result = run_cli(tmp_path, "assign", "plan.yaml", "--accounts", "a.csv", *args)
        assert result.returncode == 2, result.stderr
    result = run_cli(tmp_path, "assign", "plan.yaml", "--accounts", "folder.csv")
    assert result.returncode == 2 and "folder" in result.stderr


def test_parquet_edge_columns(tmp_path: Path) -> None:
    (tmp_path / "plan.yaml").write_text(
        "name: x\nterritories:\n  - id: BOS\n    rule: zip IN ('02134')\n    reps: [r1, r2]\n"
    )
    frame = pl.DataFrame({"account_id": ["a", "b"], "zip": [2134, 10001], "owner_id": [None, None]})
    frame.write_parquet(tmp_path / "a.parquet")
    result = run_cli(tmp_path, "assign", "plan.yaml", "--accounts", "a.parquet")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[1].startswith("a,primary,BOS,BOS,r1,")
    pl.DataFrame({"account_id": ["a"], "State": ["NY"], "state": ["NJ"]}).write_parquet(
        tmp_path / "dup.parquet"
    )
    result = run_cli(tmp_path, "assign", "plan.yaml", "--accounts", "dup.parquet")
    assert result.returncode == 2 and "differ only in case" in result.stderr


def test_plan_without_primary_territories_reports_unassigned_rows(tmp_path: Path) -> None:
    (tmp_path / "plan.yaml").write_text(
        "name: x\nterritories:\n  - id: S\n    layer: security\n    rule: state = 'NY'\n"
    )
    (tmp_path / "a.csv").write_text("account_id,state\nA,NY\nB,TX\n")
    result = run_cli(tmp_path, "assign", "plan.yaml", "--accounts", "a.csv")
    layers = [line.split(",")[:3] for line in result.stdout.splitlines()[1:]]
    assert layers == [["A", "primary", ""], ["A", "security", "S"], ["B", "primary", ""]]


def test_out_of_range_inputs_are_bad_input(tmp_path: Path) -> None:
    assert run_cli(tmp_path, "generate", "plan", "--territories", "5", "--out", "p.yaml").returncode == 2
    (tmp_path / "plan.yaml").write_text(
        "name: x\nterritories:\n  - id: A\n    priority: 99999999999999999999\n"
    )
    result = run_cli(tmp_path, "validate", "plan.yaml")
    assert result.returncode == 2 and "plan.yaml:4" in result.stderr


def test_tsv_files_are_tab_separated(tmp_path: Path) -> None:
    (tmp_path / "plan.yaml").write_text("name: x\nterritories:\n  - id: NY\n    rule: state = 'NY'\n")
    (tmp_path / "a.tsv").write_text("account_id\tstate\nA\tNY\nB\tTX, USA\n")
    result = run_cli(tmp_path, "assign", "plan.yaml", "--accounts", "a.tsv")
    assert result.returncode == 0, result.stderr
    assert [line.split(",")[2] for line in result.stdout.splitlines()[1:]] == ["NY", ""]


def test_an_empty_column_takes_the_type_its_rules_use(tmp_path: Path) -> None:
    (tmp_path / "plan.yaml").write_text("name: x\nterritories:\n  - id: BIG\n    rule: employees >= 1000\n")
    (tmp_path / "a.csv").write_text("account_id,employees\nA,\nB,\n")
    result = run_cli(tmp_path, "assign", "plan.yaml", "--accounts", "a.csv")
    assert result.returncode == 0, result.stderr
    assert "2 accounts missed at least one territory only because a field was empty" in result.stderr
