"""`territorial worker` processes for the tests of jobs through Redis (services and API)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path


def start_workers(
    database_url: str, redis_env: dict[str, str], folder: Path, count: int, *options: str
) -> list[tuple[subprocess.Popen[str], Path]]:
    """`territorial worker` in `count` processes of their own, started together, once each says it
    takes jobs; and their logs."""
    started = []
    for _ in range(count):
        log = folder / f"worker-{uuid.uuid4().hex[:8]}.log"
        with log.open("w") as written:
            command = ["--database-url", database_url, "worker", *options]
            process = subprocess.Popen(
                [sys.executable, "-m", "territorial.cli.main", *command],
                cwd=folder,
                stdin=subprocess.DEVNULL,
                stdout=written,
                stderr=subprocess.STDOUT,
                text=True,
                env={**os.environ, **redis_env, "COLUMNS": "200"},
            )
        started.append((process, log))
    deadline = time.monotonic() + 120  # a process start imports polars and the services: 2-20 s
    for process, log in started:
        while "job(s) at a time" not in log.read_text(encoding="utf-8"):
            assert process.poll() is None and time.monotonic() < deadline, log.read_text(encoding="utf-8")
            time.sleep(0.1)
    return started
