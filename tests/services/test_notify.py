"""Telling reps what changed, end to end on a real SMTP server and a real webhook receiver (loopback):
the outbox is written with each change, digests go out when due, each message at most once, retries
back off, a refused message is failed and resent with the same key; on the fake, SQLite and PostgreSQL."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from receivers import Hook, Mailbox, free_port, smtp_server, webhook_receiver
from workspace_books import write_book

from conftest import CTX
from territorial.domain.entities import Entity
from territorial.domain.notifications import Digest, MessageState, WebhookFormat
from territorial.errors import BadInput
from territorial.services.activation import activate_plan
from territorial.services.context import Context
from territorial.services.imports import import_records
from territorial.services.notify import failures, notify, resend
from territorial.services.overrides import add_override
from territorial.services.plans import add_plan
from territorial.services.subscriptions import add_webhook, set_preference, subscribe_team
from territorial.services.unit_of_work import WorkspaceStore

SECRET = "s3cret-for-tests"
# The book's reps: dee manages jane, bob and cy; cy has no e-mail address.
REPS = """\
rep_id,name,email,active,lead_weight,skills,manager_id
jane,Jane,jane@x.com,true,1,industry:manufacturing,dee
bob,Bob,bob@x.com,true,2,,dee
cy,Cy,,true,1,,dee
dee,Dee,dee@x.com,true,1,,
ghost,Ghost,g@x.com,false,1,,
"""
NEXT_DAY = Context.admin("tester", CTX.now() + timedelta(days=1))


def at(moment: datetime) -> Context:
    return Context.admin("tester", moment)


@pytest.fixture(scope="module")
def mailbox() -> Iterator[Mailbox]:
    with smtp_server() as box:
        yield box


@pytest.fixture
def hook() -> Iterator[Hook]:
    with webhook_receiver(SECRET, lambda: CTX.now().timestamp()) as receiver:
        yield receiver


@pytest.fixture
def settings(monkeypatch: pytest.MonkeyPatch, mailbox: Mailbox, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TERRITORIAL_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("TERRITORIAL_SMTP_PORT", str(mailbox.port))
    monkeypatch.setenv("TERRITORIAL_SMTP_FROM", "territory-ops@example.com")
    monkeypatch.setenv("TERRITORIAL_WEBHOOK_SECRETS", json.dumps({"sales": SECRET}))


def _workspace(store: WorkspaceStore, folder: Path) -> int:
    """The book, with REPS; the plan, stored (not yet active)."""
    paths = write_book(folder)
    paths["reps"].write_text(REPS, encoding="utf-8")
    import_records(store, CTX, Entity.REPS, paths["reps"])
    import_records(store, CTX, Entity.ACCOUNTS, paths["accounts"])
    return add_plan(store, CTX, paths["plan"])


def _sent_to(mailbox: Mailbox, since: int) -> list[str]:
    return sorted(rcpt for rcpts, _m in mailbox.received[since:] for rcpt in rcpts)


def test_digests_and_webhooks_go_out_when_due_and_never_twice(
    store: WorkspaceStore, tmp_path: Path, settings: None, mailbox: Mailbox, hook: Hook
) -> None:
    plan_id = _workspace(store, tmp_path)
    set_preference(store, CTX, "bob", Digest.IMMEDIATE, None)
    add_webhook(store, CTX, hook.url, ["jane", "bob"], None, WebhookFormat.JSON, "sales")
    subscribe_team(store, CTX, "dee", None, Digest.IMMEDIATE)
    start = len(mailbox.received)
    activate_plan(store, CTX, plan_id)  # the outbox is written with the change

    first = notify(store, CTX)
    assert len(first.sent) == 3 and not first.failed  # bob's immediate e-mail, the webhook, dee's team
    assert _sent_to(mailbox, start) == ["bob@x.com", "dee@x.com"]
    team = next(m for rcpts, m in mailbox.received[start:] if rcpts == ["dee@x.com"])
    assert team["Subject"] == "Territory changes for bob, cy, jane"
    team_text = team.get_payload()[0].get_payload(decode=True).decode()
    assert "bob gains 1 account (A-4) in WEST" in team_text
    with store.unit_of_work() as uow:
        by_id = {m.message_id: m for m in uow.outbox.messages()}
    mail = next(m for rcpts, m in mailbox.received[start:] if rcpts == ["bob@x.com"])
    bob_key = next(m.key for m in by_id.values() if m.destination == "bob@x.com")
    assert mail["Message-ID"] == f"<{bob_key}@territorial>"
    assert [part.get_content_type() for part in mail.walk()][1:] == ["text/plain", "text/html"]
    text = mail.get_payload()[0].get_payload(decode=True).decode()
    assert "From 2026-03-02 (plan 1 activated): you gain 1 account (A-4) in WEST" in text

    assert len(hook.accepted) == 1 and not hook.refused
    headers, body = hook.accepted[0]
    posted = json.loads(body)
    assert headers["Idempotency-Key"] == posted["key"] != bob_key
    assert [r["rep_id"] for r in posted["reps"]] == ["bob", "jane"]
    assert posted["reps"][1]["lines"] == [
        "From 2026-03-02 (plan 1 activated): jane gains 1 account (A-1) in WEST"
    ]

    replayed = urllib.request.Request(hook.url, data=body, headers=headers, method="POST")
    with pytest.raises(urllib.error.HTTPError, match="409"):
        urllib.request.urlopen(replayed, timeout=10)
    assert hook.refused == [(409, "replayed")] and len(hook.accepted) == 1
    hook.refused.clear()

    again = notify(store, CTX)  # nothing new is due: nothing is sent again
    assert (again.sent, again.failed, len(mailbox.received) - start, len(hook.accepted)) == ([], [], 2, 1)

    # The next day the daily digests are due; cy has no address and waits, listed as failed.
    daily = notify(store, NEXT_DAY)
    assert len(daily.sent) == 2
    assert _sent_to(mailbox, start) == ["bob@x.com", "dee@x.com", "dee@x.com", "jane@x.com"]
    assert failures(store).unaddressed == {"cy": 1}
    # The CRM gets cy's address: the next reps import brings it, and cy's changes go out.
    fixed = tmp_path / "reps_fixed.csv"
    fixed.write_text(REPS.replace("cy,Cy,,", "cy,Cy,cy@example.com,"), encoding="utf-8")
    import_records(store, NEXT_DAY, Entity.REPS, fixed)
    assert len(notify(store, NEXT_DAY).sent) == 1 and failures(store).unaddressed == {}
    assert _sent_to(mailbox, start)[1] == "cy@example.com"

    # An override moves A-3 into bob's pool: one more immediate e-mail, webhook and team digest, once.
    add_override(store, NEXT_DAY, "A-3", "WEST", "bob", "strategic account")
    hook.clock = lambda: NEXT_DAY.now().timestamp()  # the receiver's clock is a day on too
    assert len(notify(store, NEXT_DAY).sent) == 3 and notify(store, NEXT_DAY).sent == []
    with store.unit_of_work() as uow:
        messages = uow.outbox.messages()
    assert all(m.state is MessageState.SENT and m.attempts == 1 for m in messages)
    keys = [m.key for m in messages]
    assert len(keys) == len(set(keys)) == len(mailbox.received) - start + len(hook.accepted)
    assert hook.keys() == [m.key for m in messages if m.channel.value == "webhook"]


def test_an_unreachable_server_is_retried_with_backoff_and_a_refusal_is_resent_with_its_key(
    store: WorkspaceStore,
    tmp_path: Path,
    settings: None,
    mailbox: Mailbox,
    hook: Hook,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    plan_id = _workspace(store, tmp_path)
    set_preference(store, CTX, "bob", Digest.IMMEDIATE, None)
    add_webhook(store, CTX, hook.url, ["jane"], None, WebhookFormat.JSON, "sales")
    activate_plan(store, CTX, plan_id)
    monkeypatch.setenv("TERRITORIAL_SMTP_PORT", str(free_port()))  # nobody listens there
    hook.answer = 400
    done = notify(store, CTX)
    assert (len(done.retrying), len(done.failed)) == (1, 1)
    with store.unit_of_work() as uow:
        mail, posted = sorted(uow.outbox.messages(), key=lambda m: m.channel.value)
    assert mail.state is MessageState.RETRY and mail.next_try_at == CTX.now() + timedelta(minutes=1)
    assert posted.state is MessageState.FAILED and "answered 400" in (posted.last_error or "")
    assert [m.message_id for m in failures(store).messages] == [posted.message_id]

    later = at(CTX.now() + timedelta(seconds=30))
    assert notify(store, later).retrying == []  # not yet time to try again
    assert notify(store, at(CTX.now() + timedelta(minutes=1))).retrying == [mail.message_id]
    with store.unit_of_work() as uow:
        retried = uow.outbox.message(mail.message_id)
    assert retried is not None and retried.next_try_at == CTX.now() + timedelta(minutes=1 + 2)

    monkeypatch.setenv("TERRITORIAL_SMTP_PORT", str(mailbox.port))
    start = len(mailbox.received)
    assert notify(store, at(CTX.now() + timedelta(minutes=3))).sent == [mail.message_id]
    assert mailbox.received[start][1]["Message-ID"] == f"<{mail.key}@territorial>"

    with pytest.raises(BadInput, match="only unknown and failed ones are resent"):
        resend(store, CTX, mail.message_id)
    hook.answer = 200
    assert resend(store, at(CTX.now() + timedelta(minutes=4)), posted.message_id).state is MessageState.SENT
    assert hook.keys() == [posted.key] and hook.refused == []  # 400 was an answer, not a refusal


@pytest.mark.parametrize("store", ["fake"], indirect=True)  # settings are read the same on every store
def test_a_missing_setting_is_bad_input_and_sends_nothing(
    store: WorkspaceStore, tmp_path: Path, settings: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan_id = _workspace(store, tmp_path)
    set_preference(store, CTX, "bob", Digest.IMMEDIATE, None)
    activate_plan(store, CTX, plan_id)
    monkeypatch.delenv("TERRITORIAL_SMTP_HOST")
    with pytest.raises(BadInput, match="smtp_host is not set"):
        notify(store, CTX)
    with store.unit_of_work() as uow:
        assert uow.outbox.messages() == []  # the bundling was rolled back with the refusal


@pytest.mark.parametrize("store", ["fake"], indirect=True)  # the channel is the same on every store
def test_a_slack_webhook_gets_one_text_naming_the_rep_unsigned_without_a_secret(
    store: WorkspaceStore, tmp_path: Path, settings: None
) -> None:
    plan_id = _workspace(store, tmp_path)
    with webhook_receiver(None, lambda: CTX.now().timestamp()) as slack:
        add_webhook(store, CTX, slack.url, ["dee"], None, WebhookFormat.SLACK, None)
        activate_plan(store, CTX, plan_id)
        assert len(notify(store, CTX).sent) == 1
    ((headers, body),) = slack.accepted
    assert "X-Territorial-Signature" not in headers and headers["Idempotency-Key"]
    assert json.loads(body) == {
        "text": "*Territory changes for dee*\n• From 2026-03-02 (plan 1 activated): dee gains 2 accounts "
        "(A-2, A-5) in EAST"
    }
