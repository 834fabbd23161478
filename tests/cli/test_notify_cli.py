"""Feed, notify and webhook through the command line: a rep's feed (done, and planned while a plan is
scheduled), digest preferences, webhook subscriptions, and bad input or settings exiting 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import run_cli
from services.workspace_books import write_book


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TERRITORIAL_NOW", "2026-03-02T09:00:00")
    for name in ("TIME_ZONE", "SMTP_HOST", "SMTP_FROM", "SMTP_PORT", "WEBHOOK_SECRETS", "DIGEST"):
        monkeypatch.delenv(f"TERRITORIAL_{name}", raising=False)
    write_book(tmp_path)
    for args in (("init",), ("import", "reps", "reps.csv"), ("import", "accounts", "accounts.csv")):
        assert run_cli(tmp_path, *args).returncode == 0
    for _ in range(2):
        assert run_cli(tmp_path, "plan", "add", "plan.yaml").returncode == 0
    return tmp_path


def test_feed_shows_what_changed_and_what_is_planned(folder: Path) -> None:
    assert run_cli(folder, "plan", "activate", "1").returncode == 0
    assert (
        run_cli(folder, "override", "add", "A-1", "--rep", "bob", "--reason", "named account").returncode == 0
    )
    assert run_cli(folder, "plan", "activate", "2", "--effective", "2026-03-09").returncode == 0
    fed = run_cli(folder, "feed", "--rep", "jane")
    assert fed.returncode == 0, fed.stderr
    assert fed.stdout.splitlines() == [
        "From 2026-03-02 (plan 1 activated): you gain 1 account (A-1) in WEST because plan 1 activated",
        "From 2026-03-02 (override of A-1 (primary) by a planner: named account): you lose 1 account (A-1) "
        "in WEST to bob because override by a planner: named account",
    ]
    assert run_cli(folder, "feed", "--rep", "jane", "--since", "2026-03-03").stdout == ""
    assert (
        "nothing changed for jane" in run_cli(folder, "feed", "--rep", "jane", "--since", "2026-03-03").stderr
    )


def test_preferences_and_webhooks_are_set_listed_and_removed(folder: Path) -> None:
    done = run_cli(
        folder, "notify", "prefs", "--rep", "bob", "--digest", "weekly", "--email", "bob@example.com"
    )
    assert done.returncode == 0, done.stderr
    assert "bob: weekly digest to bob@example.com" in done.stderr
    listed = run_cli(folder, "notify", "prefs").stdout
    assert "bob" in listed and "weekly" in listed and "bob@example.com" in listed
    (folder / "territorial.toml").write_text('[webhook_secrets]\nsales = "x"\n', encoding="utf-8")
    added = run_cli(
        folder,
        "webhook",
        "add",
        "https://hooks.example.com/t",
        "--reps",
        "jane,bob",
        "--format",
        "json",
        "--secret",
        "sales",
    )
    assert added.returncode == 0, added.stderr
    assert "https://hooks.example.com/t" in run_cli(folder, "webhook", "list").stdout
    assert run_cli(folder, "webhook", "remove", "2").returncode == 0
    assert "no webhooks" in run_cli(folder, "webhook", "list").stdout
    assert "nothing failed" in run_cli(folder, "notify", "--failed").stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("feed", "--rep", "nobody"), "--rep: no rep 'nobody'"),
        (("feed", "--rep", "jane", "--since", "March"), "--since: expected a date"),
        (
            ("notify", "prefs", "--rep", "jane", "--email", "jane.example.com"),
            "--email: not an e-mail address",
        ),
        (("notify", "prefs", "--rep", "nobody", "--digest", "daily"), "--rep: no rep 'nobody'"),
        (("notify", "prefs", "--rep", "jane", "--digest", "hourly"), "'hourly' is not one of"),
        (("notify", "subscribe", "--team", "jane"), "--team: no rep has manager_id 'jane'"),
        (("notify", "--resend", "7"), "--resend: no message 7 in the outbox"),
        (("webhook", "add", "ftp://x", "--reps", "jane"), "URL: expected an http:// or https:// URL"),
        (
            ("webhook", "add", "https://x", "--reps", "jane", "--format", "json"),
            "--secret: a JSON webhook is signed",
        ),
        (
            ("webhook", "add", "https://x", "--reps", "jane", "--secret", "nope"),
            "no webhook secret named 'nope'",
        ),
        (("webhook", "add", "https://x"), "give the reps it covers (--reps) or a manager's team (--team)"),
        (("webhook", "add", "https://x", "--reps", "jane,zed"), "--reps: no such reps in the workspace: zed"),
        (("webhook", "remove", "9"), "ID: no webhook subscription 9"),
    ],
)
def test_bad_input_exits_2_naming_what_is_wrong(folder: Path, args: tuple[str, ...], message: str) -> None:
    result = run_cli(folder, *args)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert message in result.stderr


def test_a_bad_or_missing_setting_is_one_message_and_exit_2(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run_cli(folder, "notify", "prefs", "--rep", "bob", "--digest", "immediate").returncode == 0
    assert run_cli(folder, "plan", "activate", "1").returncode == 0
    missing = run_cli(folder, "notify")
    assert missing.returncode == 2 and "smtp_host is not set" in missing.stderr
    monkeypatch.setenv("TERRITORIAL_SMTP_PORT", "70000")
    bad = run_cli(folder, "notify")
    assert bad.returncode == 2 and "TERRITORIAL_SMTP_PORT" in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1
