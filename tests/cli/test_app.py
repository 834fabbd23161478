"""What every command shares: the actor and clock it records, and its exit codes for bad input (2)
and for faults of ours (1)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from conftest import run_cli
from territorial.services.workspace import connect


def test_the_actor_and_the_clock_are_kept_with_what_a_command_stores(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "plan.yaml").write_text("name: P\nterritories:\n  - id: ALL\n")
    monkeypatch.setenv("TERRITORIAL_NOW", "2027-01-04T08:30:00")
    assert run_cli(tmp_path, "init").returncode == 0
    added = run_cli(tmp_path, "--actor", "alice", "plan", "add", "plan.yaml")
    assert added.returncode == 0, added.stderr
    monkeypatch.setenv("TERRITORIAL_ACTOR", "bob")
    assert run_cli(tmp_path, "plan", "add", "plan.yaml").returncode == 0
    monkeypatch.chdir(tmp_path)
    with connect(None).unit_of_work() as uow:
        plans = uow.plans.list()
    assert [(p.actor, p.created_at) for p in plans] == [
        ("alice", datetime(2027, 1, 4, 8, 30)),
        ("bob", datetime(2027, 1, 4, 8, 30)),
    ]
    listed = run_cli(tmp_path, "plan", "list")
    assert "2027-01-04 08:30:00" in listed.stdout


def test_a_bad_clock_is_bad_input_naming_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "plan.yaml").write_text("name: P\nterritories:\n  - id: ALL\n")
    monkeypatch.setenv("TERRITORIAL_NOW", "next tuesday")
    assert run_cli(tmp_path, "init").returncode == 0
    result = run_cli(tmp_path, "plan", "add", "plan.yaml")
    assert result.returncode == 2
    assert "TERRITORIAL_NOW" in result.stderr and "'next tuesday'" in result.stderr


def test_a_fault_of_ours_is_exit_1_without_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import territorial.cli.plans as plans

    def broken(*_args: object) -> None:
        raise RuntimeError("the disk caught fire")

    monkeypatch.setattr(plans, "list_plans", broken)
    assert run_cli(tmp_path, "init").returncode == 0
    result = run_cli(tmp_path, "plan", "list")
    assert result.returncode == 1
    assert "internal error: RuntimeError: the disk caught fire" in result.stderr
    assert "Traceback" not in result.stderr
