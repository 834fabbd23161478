"""`territorial capacity` places accounts only for its what-if balance: the headcount keeps an
account nothing locates, and `--skip-unlocated` (as balance has it) leaves it out of the what-if."""

from __future__ import annotations

from pathlib import Path

from conftest import run_cli

ACCOUNTS = """\
account_id,postal_code,employees
A-1,10001,100
A-2,10002,200
A-3,60601,300
A-4,60602,400
A-5,99999,500
"""
HEADCOUNT = ("capacity", "--accounts", "accounts.csv", "--workload", "employees", "--hours-per-rep", "500")


def test_the_headcount_counts_an_account_nothing_locates(tmp_path: Path) -> None:
    (tmp_path / "accounts.csv").write_text(ACCOUNTS, encoding="utf-8")
    done = run_cli(tmp_path, *HEADCOUNT)
    assert done.returncode == 0, done.stderr
    total = next(line for line in done.stdout.splitlines() if "1,500.0" in line)
    assert "│        5 │" in total  # A-5, at ZIP 99999 that is no US ZIP, counts too


def test_the_what_if_refuses_it_or_leaves_it_out_with_skip_unlocated(tmp_path: Path) -> None:
    (tmp_path / "accounts.csv").write_text(ACCOUNTS, encoding="utf-8")
    what_if = (*HEADCOUNT, "--what-if-reps", "2", "--time-limit", "5")
    refused = run_cli(tmp_path, *what_if)
    assert refused.returncode == 2
    assert "accounts.csv:6: 1 of 5 accounts cannot be located: A-5 (line 6)" in refused.stderr
    assert "`capacity --what-if-reps --skip-unlocated` leaves them out" in refused.stderr
    skipped = run_cli(tmp_path, *what_if, "--skip-unlocated", "--unlocated-out", "left.csv")
    assert skipped.returncode == 0, skipped.stderr
    assert "left out 1 account that could not be located: see left.csv" in skipped.stderr
    left = (tmp_path / "left.csv").read_text(encoding="utf-8").splitlines()
    assert left == ["account_id,postal_code,employees,reason", "A-5,99999,500,'99999' is not a US ZIP code"]
    alone = run_cli(tmp_path, *HEADCOUNT, "--skip-unlocated")
    assert alone.returncode == 2 and "--skip-unlocated goes with --what-if-reps" in alone.stderr
