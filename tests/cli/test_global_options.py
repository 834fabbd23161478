"""The global options: --version, -h, --quiet, and --database-url (and --actor) after the command;
tables on a pipe are not wrapped at 80 columns, and progress goes to a log as plain lines."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import run_cli
from territorial.cli.app import WideWhenPiped


def test_version_and_short_help(tmp_path: Path) -> None:
    shown = run_cli(tmp_path, "--version")
    assert shown.returncode == 0
    assert shown.stdout.startswith("territorial ")
    for args in (["-h"], ["assign", "-h"], ["import", "-h"], ["route", "explain", "-h"]):
        helped = run_cli(tmp_path, *args)
        assert helped.returncode == 0, (args, helped.stderr)
        assert "Usage:" in helped.stdout


def test_import_help_reads_as_the_command_is_written(tmp_path: Path) -> None:
    # `import ENTITY FILE` runs the group's default command, which must not show as a command `file`.
    group = run_cli(tmp_path, "import", "-h").stdout
    # In process, the program is named "root"; installed, "territorial".
    assert " import [OPTIONS] ENTITY FILE | undo IMPORT_ID" in group
    assert "file " not in group.split("Commands")[1]
    assert "undo" in group.split("Commands")[1]
    entity = run_cli(tmp_path, "import", "accounts", "-h").stdout
    assert " import [OPTIONS] {entity} {file}" in entity
    missing = run_cli(tmp_path, "import", "accounts")
    assert missing.returncode == 2
    assert " import [OPTIONS] {entity} {file}" in missing.stderr


def test_database_url_after_the_command(tmp_path: Path) -> None:
    assert run_cli(tmp_path, "init", "--database-url", "after.db").returncode == 0
    assert (tmp_path / "after.db").exists()
    listed = run_cli(tmp_path, "plan", "list", "--database-url=after.db", "--actor", "ann")
    assert listed.returncode == 0, listed.stderr
    assert "no plans yet" in listed.stdout + listed.stderr


def test_quiet_keeps_only_errors(tmp_path: Path) -> None:
    (tmp_path / "p.yaml").write_text("name: P\nterritories:\n  - id: A\n    rule: n > 1\n")
    (tmp_path / "a.csv").write_text("account_id,n\nA1,2\n")
    quiet = run_cli(tmp_path, "assign", "p.yaml", "--accounts", "a.csv", "--out", "o.csv", "--quiet")
    assert quiet.returncode == 0
    assert quiet.stderr == ""
    failed = run_cli(tmp_path, "-q", "assign", "p.yaml", "--accounts", "missing.csv")
    assert failed.returncode == 2
    assert "missing.csv" in failed.stderr
    loud = run_cli(tmp_path, "assign", "p.yaml", "--accounts", "a.csv", "--out", "o.csv")
    assert "wrote 1 rows" in loud.stderr or "wrote 1 row" in loud.stderr


def test_a_piped_table_is_not_wrapped_and_progress_is_plain_lines(tmp_path: Path) -> None:
    reps = ";".join(f"rep-with-a-long-name-{i:02d}" for i in range(8))
    (tmp_path / "p.yaml").write_text(
        f"name: P\nterritories:\n  - id: A\n    rule: n > 1\n    reps: [{reps}]\n"
    )
    (tmp_path / "a.csv").write_text("account_id,n\nA1,2\n")
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "territorial.cli.main",
            "assign",
            "p.yaml",
            "--accounts",
            "a.csv",
            "--out",
            "o.csv",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert any(reps in line for line in done.stderr.splitlines()), done.stderr  # one line, unwrapped
    assert any(line.strip().endswith("Reading the plan p.yaml…") for line in done.stderr.splitlines())


def test_a_reader_that_goes_away_is_not_an_internal_error() -> None:
    # Found by a new-user pass: `plan check ... | head -1` exited 1 with no message, since rich ends
    # the process with exit 1 when its pipe breaks; our console raises BrokenPipeError, which the
    # command's handler (cli.app.handled) ends with exit 0, as `assign --out - | head` ends.
    read_end, write_end = os.pipe()
    os.close(read_end)
    closed_pipe = os.fdopen(write_end, "w", buffering=1)  # line-buffered: print writes at once
    try:
        with pytest.raises(BrokenPipeError):
            WideWhenPiped(file=closed_pipe).print("x")  # the read end is closed: the pipe breaks
    finally:
        with contextlib.suppress(BrokenPipeError):  # closing flushes what is left into the pipe
            closed_pipe.close()
