"""`territorial worker`: settings that cannot work exit 2 with the setting named, and a job waiting
for a worker says so in `jobs show`. (Worker processes running jobs: tests/services/test_worker.py.)"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from conftest import run_cli
from territorial.store.workspace import open_workspace


def test_a_worker_without_a_reachable_redis_exits_2_naming_the_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run_cli(tmp_path, "init").returncode == 0
    monkeypatch.delenv("TERRITORIAL_REDIS_URL", raising=False)
    unset = run_cli(tmp_path, "worker")
    assert unset.returncode == 2 and "territorial.toml [redis_url]: no Redis is configured" in unset.stderr
    monkeypatch.setenv("TERRITORIAL_REDIS_URL", "redis://127.0.0.1:1/0")
    gone = run_cli(tmp_path, "worker")
    assert gone.returncode == 2, gone.stderr
    assert "TERRITORIAL_REDIS_URL [redis_url]: cannot reach Redis at redis://127.0.0.1:1/0" in gone.stderr
    monkeypatch.setenv("TERRITORIAL_REDIS_URL", "127.0.0.1:6379")
    bad = run_cli(tmp_path, "worker")
    assert bad.returncode == 2 and "not a Redis URL: '127.0.0.1:6379'" in bad.stderr
    monkeypatch.delenv("TERRITORIAL_REDIS_URL")
    few = run_cli(tmp_path, "worker", "--concurrency", "0")
    assert few.returncode == 2 and "--concurrency: expected 1 to 32 jobs at a time, got 0" in few.stderr


def test_a_job_waiting_for_a_worker_says_so(tmp_path: Path) -> None:
    assert run_cli(tmp_path, "init").returncode == 0
    workspace = open_workspace(f"sqlite:///{tmp_path / 'territorial.db'}")
    with workspace.unit_of_work(write=True, lock="jobs") as uow:
        job_id = uow.jobs.add("assign", {"plan_id": 1}, "ana", None, datetime(2026, 3, 2, 9, 0))
    workspace.engine.dispose()
    shown = run_cli(tmp_path, "jobs", "show", job_id)
    assert shown.returncode == 0 and "state: queued" in shown.stdout
    assert "runner: none yet: waiting for a `territorial worker`" in shown.stdout
