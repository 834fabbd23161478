"""`territorial user add … --password-stdin|--password` and `user password`: a web password is read
from standard input or a hidden prompt, never from the command line, and a bad one adds no user."""

from __future__ import annotations

import os
from pathlib import Path

from typer.testing import CliRunner

from conftest import run_cli
from territorial.cli.main import app


def invoke(folder: Path, *args: str, typed: str) -> tuple[int, str]:
    previous = Path.cwd()
    os.chdir(folder)
    try:
        result = CliRunner().invoke(app, list(args), input=typed, env={"COLUMNS": "200"})
    finally:
        os.chdir(previous)
    return result.exit_code, result.stderr


def test_a_password_from_stdin_or_a_prompt_and_never_on_the_command_line(tmp_path: Path) -> None:
    (tmp_path / "reps.csv").write_text("rep_id,name\nR-1,Ann\nR-2,Ben\n", encoding="utf-8")
    assert run_cli(tmp_path, "init").returncode == 0
    assert run_cli(tmp_path, "import", "reps", "reps.csv").returncode == 0
    code, said = invoke(
        tmp_path,
        "user",
        "add",
        "ann",
        "--role",
        "rep",
        "--rep",
        "R-1",
        "--password-stdin",
        typed="a long secret 1\n",
    )
    assert code == 0 and "may sign in to the web app" in said
    prompted = "a long secret 2\na long secret 2\n"
    code, said = invoke(
        tmp_path, "user", "add", "ben", "--role", "rep", "--rep", "R-2", "--password", typed=prompted
    )
    assert code == 0 and "may sign in" in said
    code, said = invoke(tmp_path, "user", "password", "ann", "--password-stdin", typed="a new long secret\n")
    assert code == 0 and "sessions have ended" in said
    # The command line has no option that takes the password itself.
    assert run_cli(tmp_path, "user", "password", "ann", "--password-stdin", "x" * 20).returncode == 2


def test_a_short_password_exits_2_and_adds_no_user(tmp_path: Path) -> None:
    assert run_cli(tmp_path, "init").returncode == 0
    code, said = invoke(
        tmp_path, "user", "add", "pat", "--role", "planner", "--password-stdin", typed="short\n"
    )
    assert code == 2 and "--password-stdin: a password has at least 12 characters" in said
    assert "pat" not in run_cli(tmp_path, "user", "list").stdout
    code, said = invoke(tmp_path, "user", "password", "ghost", "--password-stdin", typed="a long secret 1\n")
    assert code == 2 and "no user named 'ghost'" in said
