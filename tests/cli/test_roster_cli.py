"""The rep roster through the command line: rep leave with its recommended draft, add scheduled for
tick, move --with-book, list and cancel, and the exit codes of bad input (2)."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import run_cli
from services.workspace_books import write_book


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TERRITORIAL_NOW", "2026-03-02T09:00:00")
    monkeypatch.delenv("TERRITORIAL_TIME_ZONE", raising=False)
    monkeypatch.delenv("TERRITORIAL_VACANT_OWNER", raising=False)
    write_book(tmp_path)
    for args in (
        ("init",),
        ("import", "reps", "reps.csv"),
        ("import", "accounts", "accounts.csv"),
        ("plan", "add", "plan.yaml"),
        ("plan", "activate", "1"),
    ):
        assert run_cli(tmp_path, *args).returncode == 0
    return tmp_path


def test_leave_add_move_list_cancel_and_tick_and_bad_input_exits_2(folder: Path) -> None:
    for args, message in [
        (("rep", "leave", "ghost"), "REP_ID: ghost is in no territory's pool"),
        (("rep", "move", "cy", "--to", "EAST", "--with-book", "soon"), "--with-book: expected a date"),
        (("rep", "leave", "cy", "--lock", "a b"), "--lock: 'a b': two terms stand side by side"),
    ]:
        result = run_cli(folder, *args)
        assert result.returncode == 2, (args, result.stderr)
        assert message in result.stderr, (args, result.stderr)

    left = run_cli(folder, "rep", "leave", "cy", "--max-moves", "50%")
    assert left.returncode == 0, left.stderr
    assert "cy left on 2026-03-02: 1 live row moved" in left.stderr
    assert "recommended reassignment: draft plan 2 (" in left.stderr
    assert "`territorial plan compare active 2` shows it" in left.stderr
    draft = run_cli(folder, "plan", "show", "2").stdout
    assert "reps: [jane]" in draft and "reps: [cy]" not in draft  # balanced among the roster left
    assert run_cli(folder, "plan", "compare", "active", "2").returncode == 0
    explained = run_cli(folder, "explain", "--account", "A-6").stdout
    assert "now WEST, rep bob, since 2026-03-02: cy left; pool WEST shared it out" in explained

    added = run_cli(
        folder, "rep", "add", "jane", "--territory", "SOUTH", "--effective", "2026-04-01", "--no-draft"
    )
    assert "roster change 2 scheduled for 2026-04-01: jane joins SOUTH" in added.stderr
    gone = run_cli(folder, "rep", "leave", "dee", "--effective", "2026-04-01", "--no-draft")
    assert "roster change 3 scheduled" in gone.stderr and "recommended" not in gone.stderr
    assert (
        "roster change 3 cancelled: dee leaves on 2026-04-01" in run_cli(folder, "rep", "cancel", "3").stderr
    )
    moved = run_cli(folder, "rep", "move", "bob", "--to", "EAST", "--with-book", "2026-03-20", "--no-draft")
    assert moved.returncode == 0, moved.stderr
    assert "bob moved to EAST on 2026-03-02: 0 live rows moved" in moved.stderr
    assert "2 held with bob until 2026-03-20" in moved.stderr

    listed = run_cli(folder, "rep", "list").stdout
    assert "│ EAST      │ bob  │ 2026-03-02 │" in listed and "│ WEST      │ cy " not in listed
    assert "│ 2      │ 2026-04-01 │ jane joins SOUTH │" in listed
    ticked = run_cli(folder, "tick", "--today", "2026-04-01")
    assert ticked.returncode == 0, ticked.stderr
    assert "hold of A-4 (primary) ended: hold expired" in ticked.stderr
    assert "jane joined SOUTH on 2026-04-01: 1 live row moved" in ticked.stderr
    history = run_cli(folder, "rep", "list", "--history").stdout
    assert "│ WEST      │ cy   │ 2026-03-02 │ 2026-03-02 │" in history
    assert "cancelled: cancelled by" in history and "no roster changes waiting" not in history

    (folder / "reps_off.csv").write_text(
        (folder / "reps.csv").read_text().replace("dee@x.com,true", "dee@x.com,false")
    )
    imported = run_cli(folder, "import", "reps", "reps_off.csv")
    assert imported.returncode == 0, imported.stderr
    assert "dee left (set inactive): 2 live rows moved" in imported.stderr  # EAST: bob takes them
