"""`territorial jobs list|show|cancel` and `territorial scheduler run --once`: what they show, and
bad input exiting 2."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from conftest import run_cli
from territorial.domain.jobs import JobState
from territorial.store.workspace import open_workspace


def test_jobs_are_listed_shown_and_cancelled(tmp_path: Path) -> None:
    assert run_cli(tmp_path, "init").returncode == 0
    workspace = open_workspace(f"sqlite:///{tmp_path / 'territorial.db'}")
    now = datetime.now().replace(microsecond=0)
    with workspace.unit_of_work(write=True, lock="jobs") as uow:
        # A runner in another process holds these: one still queued, one that routed a file.
        queued = uow.jobs.add("assign", {"plan_id": 1}, "ana", "elsewhere:1:a", now)
        done = uow.jobs.add("route", {"leads": "leads.csv", "plan_id": 1}, "ana", "elsewhere:1:a", now)
        uow.jobs.start(done, "elsewhere:1:a", now)
        uow.jobs.finish(done, "elsewhere:1:a", JobState.SUCCEEDED, now, {"route_run_id": 7, "leads": 50})
    workspace.engine.dispose()

    listed = run_cli(tmp_path, "jobs", "list")
    assert listed.returncode == 0, listed.stderr
    lines = [line for line in listed.stdout.splitlines() if "│" in line and "ana" in line]
    assert [[cell.strip() for cell in line.split("│")[1:4]] for line in lines] == [
        [str(done), "route", "succeeded"],  # the newest first
        [str(queued), "assign", "queued"],
    ]
    shown = run_cli(tmp_path, "jobs", "show", done)
    assert 'result: {"leads": 50, "route_run_id": 7}' in shown.stdout
    assert "state: succeeded" in shown.stdout and "progress: 100%" in shown.stdout

    cancelled = run_cli(tmp_path, "jobs", "cancel", queued)
    assert cancelled.returncode == 0 and f"job {queued} cancelled" in cancelled.stderr
    assert "state: cancelled (cancel requested)" in run_cli(tmp_path, "jobs", "show", queued).stdout
    again = run_cli(tmp_path, "jobs", "cancel", queued)
    assert again.returncode == 2 and f"job {queued} already cancelled; nothing to cancel" in again.stderr
    missing = run_cli(tmp_path, "jobs", "show", 99)
    assert missing.returncode == 2 and "ID: no job 99" in missing.stderr
    assert "no jobs" in run_cli(tmp_path, "jobs", "list", "--state", "running").stdout


def test_the_scheduler_runs_one_round_and_refuses_a_bad_interval(tmp_path: Path) -> None:
    assert run_cli(tmp_path, "init").returncode == 0
    once = run_cli(tmp_path, "scheduler", "run", "--once")
    assert once.returncode == 0, once.stderr
    assert "0 activation(s), 0 override(s) and hold(s) ended, 0 roster change(s); 0 sent" in once.stderr
    bad = run_cli(tmp_path, "scheduler", "run", "--every", "0.5")
    assert bad.returncode == 2 and "expected at least 1 second between rounds, got 0.5" in bad.stderr
