"""`territorial user` and `territorial token`: the token is printed once, on stdout, and never again."""

from __future__ import annotations

from pathlib import Path

from conftest import run_cli


def test_users_and_tokens_from_the_command_line(tmp_path: Path) -> None:
    (tmp_path / "reps.csv").write_text("rep_id,name\nR-1,Ann\n", encoding="utf-8")
    assert run_cli(tmp_path, "init").returncode == 0
    assert run_cli(tmp_path, "import", "reps", "reps.csv").returncode == 0
    assert run_cli(tmp_path, "user", "add", "ann", "--role", "rep", "--rep", "R-1").returncode == 0
    created = run_cli(tmp_path, "token", "create", "ann", "--label", "laptop")
    token = created.stdout.strip()
    assert created.returncode == 0 and token.startswith("trl_") and "shown only now" in created.stderr
    listed = run_cli(tmp_path, "token", "list")
    assert "laptop" in listed.stdout and token not in listed.stdout and "valid until" in listed.stdout
    assert run_cli(tmp_path, "token", "revoke", "1").returncode == 0
    assert "revoked" in run_cli(tmp_path, "token", "list").stdout
    assert run_cli(tmp_path, "user", "disable", "ann").returncode == 0
    assert "yes" in run_cli(tmp_path, "user", "list").stdout


def test_bad_user_input_exits_2_naming_the_option(tmp_path: Path) -> None:
    assert run_cli(tmp_path, "init").returncode == 0
    bad_role = run_cli(tmp_path, "user", "add", "ann", "--role", "boss")
    assert bad_role.returncode == 2 and "--role: unknown role 'boss'" in bad_role.stderr
    no_rep = run_cli(tmp_path, "user", "add", "ann", "--role", "manager")
    assert no_rep.returncode == 2 and "--rep" in no_rep.stderr
    nobody = run_cli(tmp_path, "token", "create", "ghost")
    assert nobody.returncode == 2 and "no user named 'ghost'" in nobody.stderr
    assert run_cli(tmp_path, "token", "revoke", "7").returncode == 2
