"""The plan lifecycle end to end through the command line (in process), on SQLite and PostgreSQL: a
draft checked, compared and scheduled; tick activating it; an accounts import re-evaluating the
accounts it changed; a hold and an override; a rep leaving on a later day; the feed; e-mail to a
real SMTP server and a signed webhook to a real HTTP receiver, both on loopback; the delta export
for Salesforce; the audit trail verified, an edited entry found (exit 3); the old plan again."""

from __future__ import annotations

import csv
import json
import subprocess
from datetime import datetime
from email.message import Message
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from conftest import run_cli
from services.receivers import smtp_server, webhook_receiver
from services.workspace_books import ACCOUNTS, PLAN, REPS, write_book
from territorial.channels.signature import KEY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, verify

# Plan 2 is the book's plan with a NORTHWEST (Oregon and Washington) split off WEST, for jane alone.
# Its checks pass on the book: it moves 2 of 6 accounts, and every territory gets one.
NORTHWEST = """\
  - id: NORTHWEST
    rule: state IN ('OR', 'WA')
    priority: 10
    reps: [jane]
"""
CHECKS = """\
checks:
  - {name: few moves, over: plan, assert: moved_share <= 0.5}
  - {name: every territory has accounts, over: territory, assert: accounts >= 1}
"""
NORTHWEST_PLAN = (
    PLAN.replace("name: Book plan", "name: Northwest split").replace(
        "territories:\n", f"territories:\n{NORTHWEST}"
    )
    + CHECKS
)
NORTHWEST_STATES = ("OR", "WA")
SECRET = "e2e-webhook-secret"
SETTINGS = ("TIME_ZONE", "SMTP_HOST", "SMTP_PORT", "SMTP_FROM", "WEBHOOK_SECRETS", "DIGEST", "VACANT_OWNER")
MON, TUE, WED, THU, FRI = (f"2026-03-0{day}" for day in range(2, 7))
# The CRM's next export: two of dee's East accounts moved to the North West (A-5 is held first),
# and two new West accounts without an owner.
MOVED = {"A-2": ("state", "NY", "OR"), "A-5": ("state", "MA", "WA")}
HELD = "A-5"
NEW = {
    "A-7": "A-7,Vandelay,vandelay.com,Retail,100,CA,94110,US,,West",
    "A-8": "A-8,Pendant,pendant.com,Retail,50,CA,94111,US,,West",
}


def at_nine(day: str) -> datetime:
    return datetime.fromisoformat(f"{day}T09:00:00")


def ok(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert result.returncode == 0, (result.args, result.stdout, result.stderr)
    return result


def rows_of(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as file:
        return list(csv.DictReader(file))


def plain_text(message: Message) -> str:
    part = message.get_payload()[0]
    assert isinstance(part, Message) and part.get_content_type() == "text/plain"
    payload = part.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode()


def sync_export(folder: Path) -> Path:
    """The CRM's next accounts export: MOVED's fields changed (checked against the book), NEW added."""
    header, *lines = ACCOUNTS.splitlines()
    columns = header.split(",")
    rows = []
    for line in lines:
        values = line.split(",")
        if values[0] in MOVED:
            field, old, new = MOVED[values[0]]
            assert values[columns.index(field)] == old
            values[columns.index(field)] = new
        rows.append(",".join(values))
    path = folder / "accounts-2.csv"
    path.write_text("\n".join([header, *rows, *NEW.values()]) + "\n", encoding="utf-8")
    return path


def test_a_plan_goes_from_draft_to_every_rep_told_to_the_crm_and_back(
    workspace_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in SETTINGS:
        monkeypatch.delenv(f"TERRITORIAL_{name}", raising=False)
    monkeypatch.setenv("TERRITORIAL_DATABASE_URL", workspace_url)
    monkeypatch.setenv("TERRITORIAL_ACTOR", "ann")
    clock = {"now": at_nine(MON)}

    def on(day: str, *args: object) -> subprocess.CompletedProcess[str]:
        """The command run on that day at 09:00 (the workspace's clock is TERRITORIAL_NOW)."""
        clock["now"] = at_nine(day)
        monkeypatch.setenv("TERRITORIAL_NOW", clock["now"].isoformat())
        return run_cli(tmp_path, *args)

    write_book(tmp_path)
    (tmp_path / "northwest.yaml").write_text(NORTHWEST_PLAN, encoding="utf-8")
    sync_export(tmp_path)
    book = {row["account_id"]: row for row in csv.DictReader(ACCOUNTS.splitlines())}
    reps = {row["rep_id"]: row for row in csv.DictReader(REPS.splitlines())}
    # Plan 1 keeps every owner in their pool; plan 2 gives jane the North West accounts of others.
    movers = {a: row["owner_id"] for a, row in book.items() if row["state"] in NORTHWEST_STATES}
    movers = {a: owner for a, owner in movers.items() if owner != "jane"}
    assert sorted(movers) == ["A-4", "A-6"]

    with (
        smtp_server() as mailbox,
        webhook_receiver(SECRET, lambda: clock["now"].timestamp()) as hook,
    ):
        (tmp_path / "territorial.toml").write_text(
            f'smtp_host = "127.0.0.1"\nsmtp_port = {mailbox.port}\nsmtp_from = "ops@example.com"\n'
            f'[webhook_secrets]\nsales = "{SECRET}"\n',
            encoding="utf-8",
        )
        # The book imported, the first plan active today: the plan to go back to at the end.
        ok(on(MON, "init"))
        ok(on(MON, "import", "reps", "reps.csv"))
        ok(on(MON, "import", "accounts", "accounts.csv"))
        ok(on(MON, "plan", "add", "plan.yaml"))
        ok(on(MON, "plan", "activate", "1"))
        ok(on(MON, "webhook", "add", hook.url, "--reps", "jane", "--format", "json", "--secret", "sales"))

        # A draft, checked and compared with the active plan: what activating it would change.
        assert ok(on(MON, "plan", "add", "northwest.yaml")).stdout == "2\n"
        checked = ok(on(MON, "plan", "check", "2"))
        assert f"{CHECKS.count('{name: ')} checks: 0 failed" in checked.stderr
        compared = ok(on(MON, "plan", "compare", "active", "2", "--out", "movers.csv"))
        assert f"Plan 1 → plan 2: {len(movers)} moving rows" in compared.stdout
        moving = rows_of(tmp_path / "movers.csv")
        assert {r["account_id"]: (r["from_rep"], r["to_territory"], r["to_rep"]) for r in moving} == {
            account: (owner, "NORTHWEST", "jane") for account, owner in movers.items()
        }
        gain = f"{len(movers)} accounts ({', '.join(movers)}) in NORTHWEST from WEST"

        # Scheduled for Wednesday: planned in jane's feed; Tuesday's tick leaves it be.
        ok(on(MON, "plan", "activate", "2", "--effective", WED))
        planned = ok(on(MON, "feed", "--rep", "jane")).stdout.splitlines()
        assert planned[-1] == f"Planned from {WED} (plan 2 scheduled): you would gain {gain}"
        assert "nothing due" in ok(on(TUE, "tick")).stderr
        activated = ok(on(WED, "tick")).stderr
        assert f"plan 2 active from {WED}: {len(book)} accounts, {len(movers)} live rows changed" in activated
        gained = f"From {WED} (plan 2 activated): you gain {gain}"
        assert ok(on(WED, "feed", "--rep", "jane", "--since", WED)).stdout.splitlines() == [gained]

        # Wednesday: A-5 held where it is, then the CRM's import: A-2 re-evaluated into the North
        # West, A-5 kept by its hold, the new accounts shared out in WEST's pool.
        held = ok(on(WED, "hold", "add", HELD, "--until", THU)).stderr
        assert f"{HELD} (primary): its territory and rep stay; cause: hold by ann until {THU}" in held
        imported = ok(on(WED, "import", "accounts", "accounts-2.csv")).stderr
        assert f"{len(NEW)} new, {len(MOVED)} changed" in imported
        assert f"{len(MOVED) - 1 + len(NEW)} rows changed territory or rep" in imported  # not the held one
        # Least-loaded in account_id order: bob and cy have no West account left, jane has A-1; A-7
        # goes to bob (first in pool order), then A-8 to cy (bob now carries A-7's workload).
        overridden = ok(on(WED, "override", "add", "A-8", "--rep", "bob", "--reason", "named account"))
        assert (
            "A-8 (primary): its territory or rep changed; cause: override by a planner" in overridden.stderr
        )
        refused = on(WED, "hold", "add", "A-8", "--until", FRI)
        assert refused.returncode == 2 and "account A-8 is overridden in primary" in refused.stderr
        scheduled = ok(on(WED, "rep", "leave", "bob", "--effective", THU, "--no-draft")).stderr
        assert f"roster change 1 scheduled for {THU}: bob leaves" in scheduled

        # Thursday's tick: the hold expires (A-5 goes where the rules put it now) and bob leaves: his
        # book goes to WEST's pool, and his override on A-8 ends.
        ticked = ok(on(THU, "tick")).stderr
        assert f"hold of {HELD} (primary) ended: hold expired" in ticked
        assert f"bob left on {THU}: {len(NEW)} live rows moved" in ticked
        assert "override on A-8 (primary) ended" in ticked
        feeds = {rep: ok(on(THU, "feed", "--rep", rep)).stdout.splitlines() for rep in reps}
        new = ", ".join(NEW)
        assert feeds["bob"][-1] == (
            f"From {THU} (bob left): you lose {len(NEW)} accounts ({new}) in WEST to cy because bob left; "
            "pool WEST shared it out"
        )
        assert feeds["cy"][-1] == (
            f"From {THU} (bob left): you gain {len(NEW)} accounts ({new}) in WEST because bob left; "
            "pool WEST shared it out"
        )
        field, old, new_value = MOVED["A-2"]
        import_3 = f"From {WED} (import 3 changed {len(MOVED) + len(NEW)} accounts)"
        assert feeds["jane"][2] == (
            f"{import_3}: you gain 1 account (A-2) in NORTHWEST from EAST because {field} changed "
            f"{old} → {new_value}; now matches NORTHWEST"
        )
        assert f"{import_3}: you gain 1 account (A-7) in WEST because new account" in feeds["bob"]
        assert f"{import_3}: you gain 1 account (A-8) in WEST because new account" in feeds["cy"]
        assert feeds["dee"][-1] == (
            f"From {THU} (1 hold expired on {THU}): you lose 1 account ({HELD}) to NORTHWEST "
            "because hold expired"
        )
        assert feeds["ghost"] == []  # inactive from the start: no change is his

        # Friday the daily digests are due: each rep with a change gets one e-mail, saying what
        # their feed says; jane's webhook one signed post; nothing twice.
        sent = ok(on(FRI, "notify")).stderr
        told = sorted(rep for rep, lines in feeds.items() if lines)
        assert f"{len(told) + 1} sent, 0 to retry, 0 failed" in sent
        assert "0 sent" in ok(on(FRI, "notify")).stderr
    assert sorted(rcpts for rcpts, _message in mailbox.received) == [[reps[r]["email"]] for r in told]
    for rcpts, message in mailbox.received:
        (rep,) = (r for r in told if [reps[r]["email"]] == rcpts)
        body = plain_text(message)
        assert all(line in body for line in feeds[rep]), (rep, body)
    assert hook.refused == [] and len(hook.accepted) == 1
    ((headers, body),) = hook.accepted
    stamp, signature = headers[TIMESTAMP_HEADER], headers[SIGNATURE_HEADER]
    assert verify(SECRET, stamp, body, signature, at_nine(FRI).timestamp())
    assert not verify("another secret", stamp, body, signature, at_nine(FRI).timestamp())
    posted = json.loads(body)
    assert posted["key"] == headers[KEY_HEADER]
    assert [section["rep_id"] for section in posted["reps"]] == ["jane"]
    # The subscription came after plan 1's activation: it tells the changes made since, by name.
    since_added = [line.replace("you gain", "jane gains") for line in feeds["jane"][1:]]
    assert posted["reps"][0]["lines"] == since_added
    assert sorted(c["account_id"] for c in posted["reps"][0]["changes"]) == sorted({*movers, *MOVED})

    # The CRM is told the net change since Wednesday: the movers, the moved and the new accounts.
    exported = ok(
        on(
            FRI,
            "export",
            "changes",
            "--since",
            WED,
            "--format",
            "salesforce",
            "--rep-ids-from",
            "salesforce",
            "--out-dir",
            "sf",
        )
    ).stderr
    changed = sorted({*movers, *MOVED, *NEW})
    assert f"{len(changed)} (account, layer) rows changed, net" in exported
    now_at = {**dict.fromkeys([*movers, *MOVED], ("NORTHWEST", "jane")), **dict.fromkeys(NEW, ("WEST", "cy"))}
    owners = rows_of(tmp_path / "sf" / "AccountOwnerUpdate.csv")
    assert [(row["Id"], row["OwnerId"]) for row in owners] == [(a, now_at[a][1]) for a in changed]
    inserted = rows_of(tmp_path / "sf" / "ObjectTerritory2Association_insert.csv")
    assert [(row["ObjectId"], row["Territory2.DeveloperName"]) for row in inserted] == [
        (a, now_at[a][0]) for a in changed
    ]
    assert rows_of(tmp_path / "sf" / "Unowned.csv") == []
    soql = (tmp_path / "sf" / "ObjectTerritory2Association_delete_README.txt").read_text(encoding="utf-8")
    assert "DeveloperName = 'EAST' AND ObjectId IN ('A-2', 'A-5')" in soql
    assert f"DeveloperName = 'WEST' AND ObjectId IN ({', '.join(repr(a) for a in movers)})" in soql

    # The audit trail: the import's cause on A-2; verified, then an edited entry found, exit 3.
    history = ok(on(FRI, "audit", "--account", "A-2")).stdout
    assert f"{field} changed {old} → {new_value}; now matches NORTHWEST" in history
    assert "EAST / dee → NORTHWEST / jane" in history
    head = ok(on(FRI, "audit", "verify")).stdout.strip()
    seq, digest = head.split(":")
    assert len(digest) == 64
    engine = create_engine(workspace_url)
    try:
        with engine.begin() as connection:
            (entry,) = connection.execute(text("SELECT entry FROM audit_entries WHERE seq = 3")).one()
            assert '"actor":"ann"' in entry
            connection.execute(
                text("UPDATE audit_entries SET entry = :edited WHERE seq = 3"),
                {"edited": entry.replace('"actor":"ann"', '"actor":"eve"')},
            )
        edited = on(FRI, "audit", "verify")
        assert edited.returncode == 3 and "entry 3 was edited" in edited.stderr
        with engine.begin() as connection:
            connection.execute(
                text("UPDATE audit_entries SET entry = :entry WHERE seq = 3"), {"entry": entry}
            )
    finally:
        engine.dispose()
    assert ok(on(FRI, "audit", "verify", "--expect-head", head)).stdout.strip() == head

    # Undo: plan 1 again, on today's accounts and owners: jane keeps the movers, back in WEST; the
    # accounts now in Oregon and Washington but in the East region match none of plan 1's rules.
    undone = ok(on(FRI, "plan", "activate", "1")).stderr
    northwest = [*movers, *MOVED]
    accounts = len(book) + len(NEW)
    assert f"plan 1 active from {FRI}: {accounts} accounts, {len(northwest)} live rows changed" in undone
    assert "plan 2 archived" in undone
    moved_back = ok(on(FRI, "audit", "--account", "A-4")).stdout
    assert moved_back.index("plan 2 activated") < moved_back.rindex("plan 1 activated")
    assert "NORTHWEST / jane → WEST / jane" in moved_back
    for account in MOVED:
        assert "NORTHWEST / jane → —" in ok(on(FRI, "audit", "--account", account)).stdout
    again = ok(on(FRI, "audit", "verify", "--expect-head", head)).stdout.strip()
    assert int(again.split(":")[0]) == int(seq) + 1
