"""Hostile input against the live server: Schemathesis generates requests from the OpenAPI document
(its examples, boundary values, invalid data, and stateful sequences that feed one answer's ids into
the next request), signed in, and checks that no answer is a 5xx and that every answer fits the
document. The quick run is part of `make test`; the long one, as every role, of `make test-slow`."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from api_server import Server, shared_server

CHECKS = "not_a_server_error,response_schema_conformance"
# 10 cases per operation: about 2,000 requests over the 32 operations, 17 s on this machine.
QUICK_EXAMPLES = 10
LONG_EXAMPLES = 200


@pytest.fixture(scope="module")
def fuzzed_server(shared_folder: Path) -> Iterator[Server]:
    """A server of its own: the generated writes land in a workspace no other test reads."""
    yield from shared_server(shared_folder, "sqlite_fuzz_writes")


def schemathesis(server: Server, user: str, folder: Path, *options: str) -> None:
    command = [
        str(Path(sys.executable).parent / "schemathesis"),
        "run",
        f"{server.url}/openapi.json",
        "--header",
        f"Authorization: Bearer {server.tokens[user]}",
        "--checks",
        CHECKS,
        # One worker: Python 3.11.7's ast is not thread-safe (CPython gh-106905), and hypothesis
        # parses lambdas' source with it, so two workers fail now and then with a SystemError.
        "--workers",
        "1",
        "--phases",
        "examples,coverage,fuzzing,stateful",
        *options,
    ]
    done = subprocess.run(command, cwd=folder, capture_output=True, text=True, timeout=900, check=False)
    assert done.returncode == 0, done.stdout[-20_000:] + done.stderr[-5_000:]
    assert " passed" in done.stdout and "failures" not in done.stdout.split("SUMMARY")[-1], done.stdout


def test_no_5xx_and_every_answer_fits_the_document(fuzzed_server: Server, tmp_path: Path) -> None:
    schemathesis(fuzzed_server, "root", tmp_path, "--max-examples", f"{QUICK_EXAMPLES}", "--seed", "1")


@pytest.mark.slow
@pytest.mark.parametrize("user", ["root", "pat", "ann", "mia", "crm"])
def test_a_long_run_as_every_role(fuzzed_server: Server, tmp_path: Path, user: str) -> None:
    schemathesis(fuzzed_server, user, tmp_path, "--max-examples", f"{LONG_EXAMPLES}")
