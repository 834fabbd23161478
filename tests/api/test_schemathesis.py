"""Hostile input against the live server: Schemathesis generates requests from the OpenAPI document
(its examples, boundary values, invalid data, and stateful sequences that feed one answer's ids into
the next request), signed in, and checks that no answer is a 5xx and that every answer fits the
document. The quick run is part of `make test`; the long one, as an admin, a rep and an integration, of
`make test-slow`."""

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
# 100 per operation: about 4 minutes a role here (200 took 7.5), so three roles fit CI's budget.
LONG_EXAMPLES = 100


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
    done = subprocess.run(command, cwd=folder, capture_output=True, text=True, timeout=1800, check=False)
    (folder / "schemathesis.log").write_text(done.stdout + done.stderr, encoding="utf-8")
    assert done.returncode == 0, f"{failures(done.stdout)}\n(the whole output: {folder / 'schemathesis.log'})"
    assert " passed" in done.stdout and "failures" not in done.stdout.split("SUMMARY")[-1], done.stdout


def failures(output: str) -> str:
    """The operations that failed, what each broke and how to reproduce it; generated values are
    long, so each line is cut."""
    keep = ("___", "- ST", "[5", "curl", "Runtime Error", "Error:", "Failures:", "❌")
    lines = [line.strip()[:300] for line in output.splitlines() if line.strip().startswith(keep)]
    return "\n".join(lines[:80]) or output[-3000:]


def test_no_5xx_and_every_answer_fits_the_document(fuzzed_server: Server, tmp_path: Path) -> None:
    schemathesis(fuzzed_server, "root", tmp_path, "--max-examples", f"{QUICK_EXAMPLES}", "--seed", "1")


@pytest.mark.slow
@pytest.mark.parametrize("user", ["root", "ann", "crm"])  # everything; a rep's scope; writes only
def test_a_long_run_as_every_role(fuzzed_server: Server, tmp_path: Path, user: str) -> None:
    schemathesis(fuzzed_server, user, tmp_path, "--max-examples", f"{LONG_EXAMPLES}")
