"""The API through a real server: `territorial serve` in its own process on a free loopback port,
once per back end, shared by pytest-xdist workers (the first starts it, the last stops it)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from filelock import FileLock

from api.book import build_book
from conftest import postgres_schema, schema_url

# Starting the server imports polars, FastAPI and the services: 2 s idle, 20 s or more on this
# machine when others run their tests too.
START_TIMEOUT_SECONDS = 120


@dataclass(frozen=True)
class Server:
    url: str
    tokens: dict[str, str]  # by user name
    database_url: str  # the workspace it serves, for tests that change users and tokens

    def get(self, path: str, user: str | None = None, **params: object) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.tokens[user]}"} if user else {}
        return httpx.get(self.url + path, headers=headers, params=params, timeout=60)

    def send(
        self,
        method: str,
        path: str,
        user: str | None = None,
        headers: dict[str, str] | None = None,
        **kw: Any,
    ) -> httpx.Response:
        """A request of any method as `user`, with more headers (If-Match, Idempotency-Key...)."""
        sent = {"Authorization": f"Bearer {self.tokens[user]}"} if user else {}
        return httpx.request(method, self.url + path, headers={**sent, **(headers or {})}, timeout=60, **kw)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start(
    folder: Path,
    database_url: str,
    workers: int,
    env: dict[str, str] | None = None,
    activated_yesterday: bool = False,
) -> dict[str, Any]:
    """Build the book, start the server and wait until it answers: its url, tokens and pid."""
    tokens = build_book(folder, database_url, activated_yesterday)
    port = free_port()
    with (folder / "server.log").open("w") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "territorial.cli.main",
                "--database-url",
                database_url,
                "serve",
                "--port",
                f"{port}",
            ],
            cwd=folder,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "COLUMNS": "200", **(env or {})},
        )
    STARTED[process.pid] = process
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while True:
        if process.poll() is not None:
            pytest.fail(f"the server ended: {(folder / 'server.log').read_text()}")
        try:
            if httpx.get(url + "/openapi.json", timeout=5).status_code == 200:
                return {
                    "url": url,
                    "tokens": tokens,
                    "pid": process.pid,
                    "users": 0,
                    "database": database_url,
                }
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            process.terminate()
            pytest.fail(f"the server did not answer in {START_TIMEOUT_SECONDS} s")
        time.sleep(0.2)


# The servers this process started, by pid: only their parent can reap them.
STARTED: dict[int, subprocess.Popen[bytes]] = {}


def stop(pid: int) -> None:
    """Stop a server that may be another worker's child: signal it, then wait until it has ended
    (another's child stays a zombie until its parent ends, which counts as ended)."""
    if pid in STARTED:
        process = STARTED.pop(pid)
        process.terminate()
        process.wait(timeout=30)
        return
    stat = Path(f"/proc/{pid}/stat")
    try:
        os.kill(pid, signal.SIGTERM)
        for _ in range(300):
            if stat.exists() and stat.read_text().split(") ")[-1].startswith("Z"):
                return
            os.kill(pid, 0)
            time.sleep(0.1)
    except (ProcessLookupError, FileNotFoundError):
        return


def shared_server(shared_folder: Path, kind: str) -> Iterator[Server]:
    lock, state_file = FileLock(str(shared_folder / f"api_{kind}.lock")), shared_folder / f"api_{kind}.json"
    with lock:
        if state_file.exists():
            state = json.loads(state_file.read_text())
        else:
            folder = shared_folder / f"api_{kind}_{uuid.uuid4().hex[:8]}"
            folder.mkdir()
            schema = f"api_{uuid.uuid4().hex[:12]}" if kind.startswith("postgresql") else None
            if schema is not None:
                postgres_schema(f"CREATE SCHEMA {schema}")
            database_url = schema_url(schema) if schema else f"sqlite:///{folder / 'workspace.db'}"
            # Two workers on PostgreSQL, as the service runs in production: each opens the workspace
            # from TERRITORIAL_DATABASE_URL, which `serve` sets for them.
            env = WRITES_ENV if kind.endswith("_writes") else None
            state = {**start(folder, database_url, 2 if schema else 1, env), "schema": schema}
        state["users"] += 1
        state_file.write_text(json.dumps(state))
    try:
        yield Server(state["url"], state["tokens"], state["database"])
    finally:
        with lock:
            state = json.loads(state_file.read_text())
            state["users"] -= 1
            if state["users"]:
                state_file.write_text(json.dumps(state))
            else:
                stop(state["pid"])
                state_file.unlink()
                if state["schema"]:
                    postgres_schema(f"DROP SCHEMA {state['schema']} CASCADE")


# The servers that tests change (writes, schemathesis) serve a workspace of their own, so that the
# read tests' answers stay as written; their uploads are capped low to test the limit cheaply.
WRITES_ENV = {"TERRITORIAL_UPLOAD_MAX_BYTES": "65536"}


@pytest.fixture(scope="session")
def sqlite_writes_server(shared_folder: Path) -> Iterator[Server]:
    yield from shared_server(shared_folder, "sqlite_writes")


@pytest.fixture(scope="session")
def postgresql_writes_server(shared_folder: Path) -> Iterator[Server]:
    if os.environ.get("TERRITORIAL_SKIP_POSTGRES") == "1":
        pytest.skip("PostgreSQL tests opted out with TERRITORIAL_SKIP_POSTGRES=1")
    yield from shared_server(shared_folder, "postgresql_writes")


@pytest.fixture(params=["sqlite", "postgresql"])
def writes_server(request: pytest.FixtureRequest) -> Server:
    """A server of its own on each real back end, for tests that change the workspace."""
    found: Server = request.getfixturevalue(f"{request.param}_writes_server")
    return found


@pytest.fixture(scope="session")
def sqlite_server(shared_folder: Path) -> Iterator[Server]:
    yield from shared_server(shared_folder, "sqlite")


@pytest.fixture(scope="session")
def postgresql_server(shared_folder: Path) -> Iterator[Server]:
    if os.environ.get("TERRITORIAL_SKIP_POSTGRES") == "1":
        pytest.skip("PostgreSQL tests opted out with TERRITORIAL_SKIP_POSTGRES=1")
    yield from shared_server(shared_folder, "postgresql")


@pytest.fixture(params=["sqlite", "postgresql"])
def server(request: pytest.FixtureRequest) -> Server:
    """The server on each real back end."""
    found: Server = request.getfixturevalue(f"{request.param}_server")
    return found
