"""`territorial plan check` through the real CLI: exit 0 with a short table, 3 naming each failure
with its figures, 2 for bad input; on files and on a SQLite workspace; the same bytes every run."""

from __future__ import annotations

from pathlib import Path

from conftest import run_cli
from services.workspace_books import PLAN, write_book

PASSING = """\
checks:
  - {name: every rep has a book, over: rep, assert: accounts >= 1 OR rep_id = 'ghost'}
  - {name: few moves, over: plan, assert: moved_share <= 0.25}
"""
FAILING = """\
checks:
  - {name: no overloaded territory, over: territory, assert: workload_vs_mean <= 1.10}
  - {name: every rep has two accounts, over: rep, assert: accounts >= 2}
  - {name: stable territories, over: territory, assert: moved_share < 1}
"""


def book(folder: Path, checks: str) -> dict[str, Path]:
    files = write_book(folder)
    files["plan"].write_text(PLAN + checks, encoding="utf-8")
    assigned = run_cli(folder, "assign", "plan.yaml", "--accounts", "accounts.csv", "--out", "before.csv")
    assert assigned.returncode == 0, assigned.stderr
    return files


def test_all_checks_passing_exit_0_with_a_short_table(tmp_path: Path) -> None:
    book(tmp_path, PASSING)
    done = run_cli(
        tmp_path, "plan", "check", "plan.yaml", "--accounts", "accounts.csv", "--baseline", "before.csv"
    )
    assert done.returncode == 0, done.stderr
    lines = [line.strip("│ ") for line in done.stdout.splitlines()]
    assert any(line.startswith("every rep has a book │ rep") and line.endswith("│ pass") for line in lines)
    assert any(line.startswith("few moves") and line.endswith("│ pass") for line in lines)
    assert "FAIL" not in done.stdout
    assert "2 checks: 0 failed" in done.stderr and "moved compares with before.csv" in done.stderr


def test_failed_checks_exit_3_naming_each_failed_row_with_its_figures(tmp_path: Path) -> None:
    book(tmp_path, FAILING)
    args = ("plan", "check", "plan.yaml", "--accounts", "accounts.csv", "--reps", "reps.csv")
    done = run_cli(tmp_path, *args, "--baseline", "before.csv")
    assert done.returncode == 3, done.stderr
    failures = done.stdout[done.stdout.index("FAIL no overloaded") :].splitlines()
    assert failures == [
        "FAIL no overloaded territory (over territory, line 14): workload_vs_mean <= 1.10",
        "  WEST: workload_vs_mean 2.579365 → FALSE",
        "FAIL every rep has two accounts (over rep, line 15): accounts >= 2",
        "  bob: accounts 1 → FALSE",
        "  cy: accounts 1 → FALSE",
        "  jane: accounts 1 → FALSE",
        "FAIL stable territories (over territory, line 16): moved_share < 1",
        "  SOUTH: moved_share 1 → FALSE",
    ]
    assert "3 checks: 3 failed" in done.stderr
    # The same inputs give the same bytes, in whatever order the files list the accounts.
    again = run_cli(tmp_path, *args, "--baseline", "before.csv")
    assert (again.returncode, again.stdout) == (3, done.stdout)
    for name in ("accounts.csv", "before.csv"):
        header, *rows = (tmp_path / name).read_text(encoding="utf-8").splitlines()
        (tmp_path / name).write_text("\n".join([header, *reversed(rows)]) + "\n", encoding="utf-8")
    shuffled = run_cli(tmp_path, *args, "--baseline", "before.csv")
    assert (shuffled.returncode, shuffled.stdout) == (3, done.stdout)


def test_unknown_is_shown_as_such(tmp_path: Path) -> None:
    book(tmp_path, "checks:\n  - {name: c, over: territory, assert: moved_share < 1}\n")
    # Only A-1 (WEST) had a rep before: no account of EAST or SOUTH did, so their share is unknown.
    (tmp_path / "owners.csv").write_text("account_id,rep_id\nA-1,jane\n", encoding="utf-8")
    args = ("--accounts", "accounts.csv", "--baseline", "owners.csv")
    done = run_cli(tmp_path, "plan", "check", "plan.yaml", *args)
    assert done.returncode == 3, done.stderr
    assert done.stdout.splitlines()[-3:] == [
        "FAIL c (over territory, line 14): moved_share < 1",
        "  EAST: moved_share empty → UNKNOWN",
        "  SOUTH: moved_share empty → UNKNOWN",
    ]


def test_bad_input_exits_2_naming_the_file_line_and_option(tmp_path: Path) -> None:
    book(tmp_path, FAILING)
    no_baseline = run_cli(tmp_path, "plan", "check", "plan.yaml", "--accounts", "accounts.csv")
    assert no_baseline.returncode == 2
    assert "plan.yaml:16:57 [stable territories]: moved_share needs a baseline: give --baseline FILE" in (
        no_baseline.stderr
    )
    (tmp_path / "bad.yaml").write_text(PLAN + "checks:\n  - {name: c, over: plan, assert: accounts >= }\n")
    bad = run_cli(tmp_path, "plan", "check", "bad.yaml", "--accounts", "accounts.csv")
    assert bad.returncode == 2 and "bad.yaml:14:" in bad.stderr and "[c]: bad assert" in bad.stderr
    files_only = run_cli(tmp_path, "plan", "check", "plan.yaml", "--reps", "reps.csv")
    assert files_only.returncode == 2 and "--reps: --reps and --mapping read files" in files_only.stderr


def test_a_plan_without_checks_says_so_and_exits_0(tmp_path: Path) -> None:
    write_book(tmp_path)
    done = run_cli(tmp_path, "plan", "check", "plan.yaml", "--accounts", "accounts.csv")
    assert (done.returncode, done.stdout) == (0, "")
    assert "plan.yaml has no checks" in done.stderr


def test_on_a_workspace_by_id_or_file(tmp_path: Path) -> None:
    files = book(tmp_path, FAILING.replace("moved_share < 1", "moved_share < 0.5"))
    db = ("--database-url", str(tmp_path / "ws.db"))
    for step in (
        ("init",),
        ("import", "accounts", files["accounts"]),
        ("import", "reps", files["reps"]),
        ("plan", "add", "plan.yaml"),
    ):
        assert run_cli(tmp_path, *db, *step).returncode == 0
    by_id = run_cli(tmp_path, *db, "plan", "check", "1")
    by_file = run_cli(tmp_path, *db, "plan", "check", "plan.yaml")
    assert by_id.returncode == by_file.returncode == 3
    assert by_id.stdout == by_file.stdout
    assert "  SOUTH: moved_share 1 → FALSE" in by_id.stdout  # ghost owned A-3; SOUTH is vacant now
    owners = "moved compares with each account's owner in the workspace (its live rep while a plan is active)"
    assert owners in by_id.stderr


def test_validate_says_the_plan_has_checks_and_runs_none(tmp_path: Path) -> None:
    book(tmp_path, FAILING)
    done = run_cli(tmp_path, "validate", "plan.yaml", "--accounts", "accounts.csv")
    assert done.returncode == 0, done.stderr
    assert "the plan has 3 checks: `territorial plan check` runs them" in done.stdout
    assert "FAIL" not in done.stdout


def test_a_failed_row_shows_the_text_and_tree_columns_its_rule_reads(tmp_path: Path) -> None:
    checks = (
        "checks:\n"
        "  - {name: not bob, over: rep, assert: rep_id != 'bob' OR layer != 'primary'}\n"
        "  - {name: root, over: territory, assert: leaf = TRUE AND depth = 1 AND reps > 1}\n"
    )
    book(tmp_path, checks)
    done = run_cli(tmp_path, "plan", "check", "plan.yaml", "--accounts", "accounts.csv")
    assert done.returncode == 3, done.stderr
    assert "  bob: layer 'primary', rep_id 'bob' → FALSE" in done.stdout.splitlines()
    assert "  EAST: leaf TRUE, depth 1, reps 1 → FALSE" in done.stdout.splitlines()


def test_a_stored_plan_that_is_not_there_names_the_argument(tmp_path: Path) -> None:
    write_book(tmp_path)
    db = ("--database-url", str(tmp_path / "ws.db"))
    assert run_cli(tmp_path, *db, "init").returncode == 0
    done = run_cli(tmp_path, *db, "plan", "check", "99")
    assert done.returncode == 2
    assert "PLAN: no plan with id 99" in done.stderr and "--plan" not in done.stderr
