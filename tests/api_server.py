"""The API through a real server: `territorial serve` in a process of its own on a free loopback
port, over a workspace built through the CLI, once per back end for the whole session."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from api.book import build_book
from conftest import POSTGRES_URL, fresh_database

# Starting the server imports polars, FastAPI and the services: a few seconds on this machine.
START_TIMEOUT_SECONDS = 90


@dataclass(frozen=True)
class Server:
    url: str
    tokens: dict[str, str]  # by user name

    def get(self, path: str, user: str | None = None, **params: object) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.tokens[user]}"} if user else {}
        return httpx.get(self.url + path, headers=headers, params=params, timeout=60)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start(folder: Path, database_url: str) -> Iterator[Server]:
    tokens = build_book(folder, database_url)
    port = free_port()
    log = (folder / "server.log").open("w")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "territorial.cli.main",
            "--database-url",
            database_url,
            "serve",
            "--port",
            str(port),
        ],
        cwd=folder,
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "COLUMNS": "200"},
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while True:
            if process.poll() is not None:
                pytest.fail(f"the server ended: {(folder / 'server.log').read_text()}")
            try:
                if httpx.get(url + "/openapi.json", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"the server did not answer in {START_TIMEOUT_SECONDS} s")
            time.sleep(0.2)
        yield Server(url, tokens)
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


@pytest.fixture(scope="session")
def sqlite_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("api_sqlite")
    yield from start(folder, f"sqlite:///{folder / 'workspace.db'}")


@pytest.fixture(scope="session")
def postgresql_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    if os.environ.get("TERRITORIAL_SKIP_POSTGRES") == "1":
        pytest.skip("PostgreSQL tests opted out with TERRITORIAL_SKIP_POSTGRES=1")
    folder = tmp_path_factory.mktemp("api_postgres")
    with fresh_database("postgresql", folder) as url:
        assert url.startswith(POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://", 1))
        yield from start(folder, url)


@pytest.fixture(params=["sqlite", "postgresql"])
def server(request: pytest.FixtureRequest) -> Server:
    """The server on each real back end."""
    found: Server = request.getfixturevalue(f"{request.param}_server")
    return found
