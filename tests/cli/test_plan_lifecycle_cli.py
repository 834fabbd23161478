"""The plan lifecycle through the command line: states, activation, tick, compare, explain on the
workspace, `active` as a plan reference, and the exit codes of bad input (2)."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import run_cli
from services.workspace_books import write_book


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TERRITORIAL_NOW", "2026-03-02T09:00:00")
    monkeypatch.delenv("TERRITORIAL_TIME_ZONE", raising=False)
    write_book(tmp_path)
    for args in (("init",), ("import", "reps", "reps.csv"), ("import", "accounts", "accounts.csv")):
        assert run_cli(tmp_path, *args).returncode == 0
    for _ in range(2):
        assert run_cli(tmp_path, "plan", "add", "plan.yaml").returncode == 0
    return tmp_path


def test_activate_schedule_tick_compare_and_explain(folder: Path) -> None:
    done = run_cli(folder, "plan", "activate", "1")
    assert done.returncode == 0, done.stderr
    assert "plan 1 active from 2026-03-02: 6 accounts, 6 live rows changed" in done.stderr
    listed = run_cli(folder, "plan", "list").stdout
    assert "│ 1       │ Book plan │ plan.yaml │ active │ 2026-03-02 │" in listed
    assert "│ 2       │ Book plan │ plan.yaml │ draft  │            │" in listed
    shown = run_cli(folder, "plan", "show", "active")
    assert shown.stdout == (folder / "plan.yaml").read_text()
    assert shown.stderr.endswith("; active from 2026-03-02\n")

    scheduled = run_cli(folder, "plan", "activate", "2", "--effective", "2026-03-09")
    assert "scheduled for 2026-03-09" in scheduled.stderr
    assert "nothing due" in run_cli(folder, "tick", "--today", "2026-03-08").stderr
    compared = run_cli(folder, "plan", "compare", "active", "2", "--out", "movers.csv")
    assert compared.returncode == 0, compared.stderr
    assert "continuity: 100.0%" in compared.stdout
    assert (
        folder / "movers.csv"
    ).read_text() == "account_id,layer,from_territory,from_rep,to_territory,to_rep\n"
    ticked = run_cli(folder, "tick", "--today", "2026-03-09")
    assert "plan 2 active from 2026-03-09: 6 accounts, 0 live rows changed; plan 1 archived" in ticked.stderr

    explained = run_cli(folder, "explain", "--account", "A-4")
    assert explained.returncode == 0, explained.stderr
    assert "plan 2, active since 2026-03-09" in explained.stdout
    assert "4. pool: bob." in explained.stdout
    assert "now WEST, rep bob, since 2026-03-02: plan 1 activated" in explained.stdout

    whatif = run_cli(folder, "assign", "--plan", "active")
    assert whatif.returncode == 0, whatif.stderr
    assert "plan 2, active since 2026-03-09" in run_cli(folder, "explain", "--account", "A-4").stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("plan", "activate", "1", "--effective", "2026-03-01"), "--effective: 2026-03-01 is past"),
        (("plan", "activate", "1", "--effective", "03/09/2026"), "expected a date as YYYY-MM-DD"),
        (("plan", "activate", "9"), "no plan with id 9"),
        (("plan", "unschedule", "1"), "plan 1 is draft, not scheduled"),
        (("plan", "clone", "active"), "no plan is active yet"),
        (("plan", "compare", "1", "plan.yaml"), "PLAN_B: expected a stored plan's id or `active`"),
        (("explain", "--account", "A-1"), "no plan is active yet"),
        (("tick", "--today", "tomorrow"), "--today: expected a date"),
    ],
)
def test_bad_input_exits_2_naming_what_is_wrong(folder: Path, args: tuple[str, ...], message: str) -> None:
    result = run_cli(folder, *args)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr


def test_drafts_change_and_go_but_an_active_plan_stays(folder: Path) -> None:
    assert run_cli(folder, "plan", "activate", "1").returncode == 0
    refused = run_cli(folder, "plan", "delete", "1")
    assert refused.returncode == 2 and "plan 1 is active: only a draft can be deleted" in refused.stderr
    assert run_cli(folder, "plan", "update", "1", "plan.yaml").returncode == 2
    cloned = run_cli(folder, "plan", "clone", "active")
    assert cloned.stdout == "3\n"
    assert run_cli(folder, "plan", "update", "3", "plan.yaml").returncode == 0
    assert run_cli(folder, "assign", "--plan", "3").returncode == 0
    assert "has 1 run" in run_cli(folder, "plan", "delete", "3").stderr
    assert run_cli(folder, "plan", "delete", "3", "--with-runs").returncode == 0
    assert "│ 3 " not in run_cli(folder, "plan", "list").stdout


def test_a_file_named_active_is_written_with_its_folder(folder: Path) -> None:
    (folder / "active").write_text("name: A file\nterritories:\n  - id: ALL\n")
    assert run_cli(folder, "validate", "--plan", "./active").returncode == 0
    assert "no plan is active yet" in run_cli(folder, "validate", "--plan", "active").stderr


def test_the_time_zone_setting(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (folder / "territorial.toml").write_text('time_zone = "Pacific/Kiritimati"\n')
    # 09:00 UTC on 2 March is 23:00 on 2 March at UTC+14: still the 2nd; 11:00 UTC is the 3rd there.
    monkeypatch.setenv("TERRITORIAL_NOW", "2026-03-02T11:00:00")
    refused = run_cli(folder, "plan", "activate", "1", "--effective", "2026-03-02")
    assert refused.returncode == 2 and "today is 2026-03-03" in refused.stderr
    monkeypatch.setenv("TERRITORIAL_TIME_ZONE", "Mars/Olympus")
    bad = run_cli(folder, "plan", "activate", "1")
    assert bad.returncode == 2 and "TERRITORIAL_TIME_ZONE [time_zone]: not a time zone" in bad.stderr
    monkeypatch.delenv("TERRITORIAL_TIME_ZONE")
    (folder / "territorial.toml").write_text('time_zon = "UTC"\n')
    typo = run_cli(folder, "tick")
    assert typo.returncode == 2 and "territorial.toml [time_zon]: unknown setting" in typo.stderr


def test_a_plan_whose_checks_fail_is_not_activated_unless_told_to(folder: Path) -> None:
    # WEST holds 3 of 5 placed accounts' employees (7,500 of 8,160): far over 1.10 of the mean.
    checked = (folder / "plan.yaml").read_text() + (
        "checks:\n  - {name: no overloaded territory, over: territory, assert: workload_vs_mean <= 1.10}\n"
    )
    (folder / "checked.yaml").write_text(checked)
    assert run_cli(folder, "plan", "add", "checked.yaml").returncode == 0  # plan 3
    refused = run_cli(folder, "plan", "activate", "3")
    assert refused.returncode == 3, refused.stderr
    assert "plan 3 was not activated: 1 of its checks failed" in refused.stderr
    assert "FAIL no overloaded territory (over territory, line" in refused.stderr
    assert "WEST: workload_vs_mean" in refused.stderr
    assert "│ checked.yaml │ draft" in run_cli(folder, "plan", "list").stdout
    assert "no plan is active yet" in run_cli(folder, "explain", "--account", "A-4").stderr

    forced = run_cli(folder, "plan", "activate", "3", "--skip-checks")
    assert forced.returncode == 0, forced.stderr
    assert (
        "│ 3       │ Book plan │ checked.yaml │ active │ 2026-03-02 │"
        in run_cli(folder, "plan", "list").stdout
    )


def test_overrides_and_holds_through_the_command_line(folder: Path) -> None:
    assert run_cli(folder, "plan", "activate", "1").returncode == 0
    added = run_cli(folder, "override", "add", "A-3", "--territory", "WEST", "--reason", "strategic account")
    assert added.returncode == 0, added.stderr
    assert "A-3 (primary): its territory or rep changed; cause: override by a planner: strategic account" in (
        added.stderr
    )
    listed = run_cli(folder, "override", "list").stdout
    assert "A-3" in listed and "strategic account" in listed and "in force" in listed
    refused = run_cli(folder, "hold", "add", "A-3", "--until", "2026-04-01")
    assert refused.returncode == 2
    assert "ACCOUNT_ID: account A-3 is overridden in primary: an override beats a hold" in refused.stderr
    lacking = run_cli(folder, "override", "add", "A-1", "--rep", "nobody", "--reason", "x")
    assert (
        lacking.returncode == 2
        and "--rep: rep 'nobody' is not in the active plan 1's roster" in lacking.stderr
    )
    explained = run_cli(folder, "explain", "--account", "A-3").stdout
    assert "1. rules: SOUTH" in explained
    assert "3. override: territory WEST, the pool picks the rep (strategic account)" in explained
    assert "now WEST, rep cy, since 2026-03-02: override by a planner: strategic account" in explained

    assert run_cli(folder, "override", "remove", "A-3").returncode == 0
    held = run_cli(folder, "hold", "add", "A-4", "--until", "2026-03-10")
    assert "A-4 (primary): its territory and rep stay; cause: hold by" in held.stderr
    assert "A-4" in run_cli(folder, "hold", "list").stdout
    ticked = run_cli(folder, "tick", "--today", "2026-03-10")
    assert "hold of A-4 (primary) ended: hold expired" in ticked.stderr
    assert run_cli(folder, "hold", "list").stdout == "no holds\n"
    assert "hold expired" in run_cli(folder, "hold", "list", "--all").stdout


def test_a_scheduled_plan_whose_checks_fail_at_tick_exits_3_and_stays_scheduled(folder: Path) -> None:
    # Found in the last review: tick met the refusal as an internal error (exit 1).
    (folder / "checked.yaml").write_text(
        (folder / "plan.yaml").read_text()
        + "checks:\n  - {name: no overloaded territory, over: territory, assert: workload_vs_mean <= 1.10}\n"
    )
    assert run_cli(folder, "plan", "add", "checked.yaml").returncode == 0  # plan 3
    assert run_cli(folder, "plan", "activate", "3", "--effective", "2026-03-09").returncode == 0
    ticked = run_cli(folder, "tick", "--today", "2026-03-09")
    assert ticked.returncode == 3, ticked.stderr
    assert "plan 3 was not activated: 1 of its checks failed" in ticked.stderr
    assert "WEST: workload_vs_mean" in ticked.stderr
    assert "│ checked.yaml │ scheduled" in run_cli(folder, "plan", "list").stdout
