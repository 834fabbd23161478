"""Every command checks its outputs before any work, by one rule (cli.app.check_outputs): no
output is an input or another output, and every output's folder exists."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import run_cli

PLAN = "name: P\nterritories:\n  - id: ALL\n    rule: employees >= 0\n    reps: [r1]\n"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "plan.yaml").write_text(PLAN)
    made = run_cli(tmp_path, "generate", "accounts", "--n", "40", "--out", "accounts.csv")
    assert made.returncode == 0, made.stderr
    return tmp_path


@pytest.mark.parametrize(
    "args",
    [
        ["assign", "plan.yaml", "--accounts", "accounts.csv", "--out", "accounts.csv"],
        ["assign", "plan.yaml", "--accounts", "accounts.csv", "--out", "./accounts.csv"],
        ["assign", "plan.yaml", "--accounts", "accounts.csv", "--out", "plan.yaml"],
        ["assign", "plan.yaml", "--accounts", "accounts.csv", "--summary", "accounts.csv"],
        ["score", "apply", "accounts.csv", "--model", "plan.yaml", "--out", "accounts.csv"],
        ["route", "accounts.csv", "--plan", "plan.yaml", "--out", "plan.yaml"],
        ["balance", "--accounts", "accounts.csv", "--k", "2", "--out", "accounts.csv"],
        ["import", "accounts", "accounts.csv", "--rejects", "accounts.csv"],
        ["generate", "opportunities", "--accounts", "accounts.csv", "--out", "accounts.csv"],
        [
            "generate",
            "opportunities",
            "--accounts",
            "accounts.csv",
            "--out",
            "o.csv",
            "--history-out",
            "accounts.csv",
        ],
        ["kpis", "--price-list", "accounts.csv", "--out", "accounts.csv"],
        ["fairness", "--price-list", "accounts.csv", "--lorenz-out", "accounts.csv"],
        ["forecast", "--price-list", "accounts.csv", "--out", "accounts.csv"],
        [
            "quota",
            "allocate",
            "--target",
            "1000",
            "--period",
            "FY2027",
            "--plan",
            "1",
            "--bottom-up",
            "accounts.csv",
            "--out",
            "accounts.csv",
        ],
    ],
)
def test_an_output_that_is_an_input_is_refused_and_the_input_kept(folder: Path, args: list[str]) -> None:
    before = (folder / "accounts.csv").read_bytes(), (folder / "plan.yaml").read_bytes()
    result = run_cli(folder, *args)
    assert result.returncode == 2, result.stderr
    assert "this is an input of the command" in result.stderr
    assert ((folder / "accounts.csv").read_bytes(), (folder / "plan.yaml").read_bytes()) == before


def test_the_exception_lists_never_overwrite_an_input_or_another_output(folder: Path) -> None:
    (folder / "exc").mkdir()
    (folder / "exc" / "unassigned.csv").write_bytes((folder / "accounts.csv").read_bytes())
    (folder / "exc" / "ties.csv").write_text("keep\n")
    kept = {name: (folder / "exc" / name).read_bytes() for name in ("unassigned.csv", "ties.csv")}
    base = ["assign", "plan.yaml", "--exceptions", "exc"]
    as_input = run_cli(folder, *base, "--accounts", "exc/unassigned.csv", "--out", "o.csv")
    assert as_input.returncode == 2, as_input.stderr
    assert "this is an input of the command" in as_input.stderr
    as_output = run_cli(folder, *base, "--accounts", "accounts.csv", "--summary", "exc/ties.csv")
    assert as_output.returncode == 2, as_output.stderr
    assert "two outputs would go to this file" in as_output.stderr
    assert {name: (folder / "exc" / name).read_bytes() for name in kept} == kept
    assert not (folder / "o.csv").exists()
    fresh = run_cli(folder, *base[:2], "--accounts", "accounts.csv", "--exceptions", "new", "--out", "o.csv")
    assert fresh.returncode == 0, fresh.stderr  # a folder the command makes holds no input
    assert (folder / "new" / "unassigned.csv").exists()


def test_two_outputs_to_one_file_are_refused_before_any_work(folder: Path) -> None:
    args = ["assign", "plan.yaml", "--accounts", "accounts.csv", "--out", "r.csv", "--summary", "r.csv"]
    result = run_cli(folder, *args)
    assert result.returncode == 2
    assert "two outputs would go to this file" in result.stderr
    assert not (folder / "r.csv").exists()


def test_an_output_in_a_missing_folder_is_refused_and_no_folder_made(folder: Path) -> None:
    result = run_cli(folder, "assign", "plan.yaml", "--accounts", "accounts.csv", "--out", "typo/o.csv")
    assert result.returncode == 2
    assert "does not exist; create it first" in result.stderr
    assert not (folder / "typo").exists()


def test_xlsx_outputs_are_workbooks_territorial_reads_back(folder: Path) -> None:
    made = run_cli(folder, "generate", "accounts", "--n", "30", "--out", "book.xlsx")
    assert made.returncode == 0, made.stderr
    assert (folder / "book.xlsx").read_bytes()[:2] == b"PK"
    from_xlsx = run_cli(folder, "assign", "plan.yaml", "--accounts", "book.xlsx", "--out", "o.xlsx")
    assert from_xlsx.returncode == 0, from_xlsx.stderr
    assert (folder / "o.xlsx").read_bytes()[:2] == b"PK"
    assert "wrote 30 rows" in from_xlsx.stderr


def test_export_to_a_file_says_it_needs_a_folder(folder: Path) -> None:
    assert run_cli(folder, "init").returncode == 0
    assert run_cli(folder, "import", "accounts", "accounts.csv").returncode == 0
    assert run_cli(folder, "plan", "add", "plan.yaml").returncode == 0
    assert run_cli(folder, "assign", "--plan", "1").returncode == 0
    (folder / "acc.csv").write_text("keep\n")
    result = run_cli(folder, "export", "assignments", "--run", "1", "--out-dir", "acc.csv")
    assert result.returncode == 2
    assert "this is a file; this option names a folder" in result.stderr
    assert (folder / "acc.csv").read_text() == "keep\n"


def test_export_takes_out_dir_and_its_old_out_dir_spelling_with_a_warning(folder: Path) -> None:
    assert run_cli(folder, "init").returncode == 0
    assert run_cli(folder, "import", "accounts", "accounts.csv").returncode == 0
    assert run_cli(folder, "assign", "--plan", "plan.yaml").returncode == 0
    new = run_cli(folder, "export", "assignments", "--run", "1", "--out-dir", "new")
    assert new.returncode == 0, new.stderr
    assert "deprecated" not in new.stderr
    old = run_cli(folder, "export", "assignments", "--run", "1", "--out", "old")
    assert old.returncode == 0, old.stderr
    assert "--out DIR is deprecated here" in old.stderr and "--out-dir old" in old.stderr
    assert (folder / "new" / "assignments.csv").read_bytes() == (
        folder / "old" / "assignments.csv"
    ).read_bytes()
    both = run_cli(folder, "export", "assignments", "--run", "1", "--out", "old", "--out-dir", "new")
    assert both.returncode == 2


def test_export_old_out_naming_a_file_or_stdout_is_refused(folder: Path) -> None:
    assert run_cli(folder, "init").returncode == 0
    for name in ("e.csv", "-"):
        result = run_cli(folder, "export", "assignments", "--run", "1", "--out", name)
        assert result.returncode == 2
        assert "writes several files: give a folder with --out-dir" in result.stderr
        assert not (folder / name).exists()


def test_generate_opportunities_writes_the_history_beside_the_pipeline(folder: Path) -> None:
    made = run_cli(folder, "generate", "opportunities", "--accounts", "accounts.csv", "--out", "deals.csv")
    assert made.returncode == 0, made.stderr
    history = (folder / "opportunity_history.csv").read_text().splitlines()
    assert history[0] == "history_id,opportunity_id,changed,stage,amount,expected_close,probability"
    clash = run_cli(
        folder, "generate", "opportunities", "--accounts", "accounts.csv", "--out", "opportunity_history.csv"
    )
    assert clash.returncode == 2 and "two outputs would go to this file" in clash.stderr
