"""Feed, notify and webhook through the command line: a rep's feed (done, and planned while a plan is
scheduled), digest preferences, webhook subscriptions, and bad input or settings exiting 2."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import run_cli
from services.receivers import smtp_server
from services.workspace_books import write_book

PLAN_2 = """\
name: Northwest split
workload: employees
territories:
  - id: NORTHWEST
    rule: state IN ('OR', 'WA')
    priority: 10
    reps: [jane]
  - id: WEST
    rule: region = 'West'
    reps: [jane, bob, cy]
  - id: EAST
    rule: state IN ('NY', 'MA')
    reps: [dee]
"""
NOW = "2026-03-02T09:00:00"
SETTINGS = ("TIME_ZONE", "SMTP_HOST", "SMTP_FROM", "SMTP_PORT", "WEBHOOK_SECRETS", "DIGEST")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The book imported and two plans stored (the second splits off a NORTHWEST), built once."""
    folder = tmp_path_factory.mktemp("notify_cli")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TERRITORIAL_NOW", NOW)
        for name in SETTINGS:
            patch.delenv(f"TERRITORIAL_{name}", raising=False)
        write_book(folder)
        (folder / "plan2.yaml").write_text(PLAN_2, encoding="utf-8")
        for args in (("init",), ("import", "reps", "reps.csv"), ("import", "accounts", "accounts.csv")):
            assert run_cli(folder, *args).returncode == 0
        for plan in ("plan.yaml", "plan2.yaml"):
            assert run_cli(folder, "plan", "add", plan).returncode == 0
    return folder


@pytest.fixture
def folder(built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the built workspace of its own."""
    monkeypatch.setenv("TERRITORIAL_NOW", NOW)
    monkeypatch.setenv("TERRITORIAL_ACTOR", "ann")
    for name in SETTINGS:
        monkeypatch.delenv(f"TERRITORIAL_{name}", raising=False)
    copy = tmp_path / "workspace"
    shutil.copytree(built, copy)
    return copy


def test_feed_shows_what_changed_and_what_is_planned_until_it_is_done(folder: Path) -> None:
    assert run_cli(folder, "plan", "activate", "1").returncode == 0
    pinned = run_cli(folder, "override", "add", "A-1", "--rep", "bob", "--reason", "named account")
    assert pinned.returncode == 0, pinned.stderr
    assert run_cli(folder, "plan", "activate", "2", "--effective", "2026-03-09").returncode == 0
    fed = run_cli(folder, "feed", "--rep", "jane")
    assert fed.returncode == 0, fed.stderr
    done = [
        "From 2026-03-02 (plan 1 activated): you gain 1 account (A-1) in WEST",
        "From 2026-03-02 (ann overrode account A-1 in primary: named account): you lose 1 account (A-1) "
        "in WEST to bob because override by a planner: named account",
    ]
    planned = "2 accounts (A-4, A-6) in NORTHWEST from WEST"
    assert fed.stdout.splitlines() == [
        *done,
        f"Planned from 2026-03-09 (plan 2 scheduled): you would gain {planned}",
    ]
    # What is planned for jane is what `plan compare` says she gains.
    assert run_cli(folder, "plan", "compare", "active", "2", "--out", "movers.csv").returncode == 0
    movers = (folder / "movers.csv").read_text().splitlines()
    assert [line.split(",")[0] for line in movers if line.endswith(",jane")] == ["A-4", "A-6"]
    assert run_cli(folder, "tick", "--today", "2026-03-09").returncode == 0
    fed = run_cli(folder, "feed", "--rep", "jane", "--since", "2026-03-03")
    assert fed.stdout.splitlines() == [f"From 2026-03-09 (plan 2 activated): you gain {planned}"]
    assert (
        "nothing changed for bob" in run_cli(folder, "feed", "--rep", "bob", "--since", "2026-03-10").stderr
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
        (("notify", "prefs", "--digest", "weekly"), "--rep: name the rep whose digest to set"),
        (("notify", "subscribe", "--team", "jane"), "--team: no rep has manager_id 'jane'"),
        (("notify", "--resend", "7"), "--resend: no message 7 in the outbox"),
        (("notify", "--failed", "--resend", "7"), "--resend: give --failed (list) or --resend ID"),
        (("webhook", "add", "ftp://x", "--reps", "jane"), "URL: expected an http:// or https:// URL"),
        (("webhook", "add", "https:///path", "--reps", "jane"), "URL: expected an http:// or https:// URL"),
        (("webhook", "add", "http://[::1", "--reps", "jane"), "URL: expected an http:// or https:// URL"),
        (("notify", "prefs", "--rep", "jane", "--email", "jane@x.com, boss@x.com"), "--email: not an e-mail"),
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


def test_notify_sends_once_and_a_bad_or_missing_setting_is_one_message_and_exit_2(
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
    with smtp_server() as mailbox:
        (folder / "territorial.toml").write_text(
            f'smtp_host = "127.0.0.1"\nsmtp_port = {mailbox.port}\nsmtp_from = "ops@example.com"\n',
            encoding="utf-8",
        )
        monkeypatch.delenv("TERRITORIAL_SMTP_PORT")
        sent = run_cli(folder, "notify")
        assert sent.returncode == 0, sent.stderr
        assert "1 sent, 0 to retry, 0 failed" in sent.stderr
        assert "0 sent" in run_cli(folder, "notify").stderr
    assert [rcpts for rcpts, _message in mailbox.received] == [["bob@x.com"]]
