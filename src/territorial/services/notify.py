"""Sending the outbox at most once: due items become messages, each marked `sending` (committed) before
its try, then `sent`, `retry` (exponential backoff) or `failed`; a try a crash cut short is `unknown`
and only `notify --resend ID` sends it again, with the same key."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from territorial.channels.compose import Section, email, json_body, slack_body
from territorial.channels.errors import DeliveryFailed
from territorial.channels.smtp import SmtpServer, send_email
from territorial.channels.webhook import post
from territorial.domain.notifications import (
    Channel,
    ItemState,
    MessageState,
    StoredMessage,
    StoredSubscription,
    WebhookFormat,
    message_key,
)
from territorial.engine.live_changes import CHANGE_COLUMNS
from territorial.errors import BadInput
from territorial.services.context import Context
from territorial.services.feed import done_entries
from territorial.services.outbox import readdress_waiting
from territorial.services.settings import Settings, load_settings
from territorial.services.subscriptions import LOCK
from territorial.services.unit_of_work import UnitOfWork, WorkspaceStore

# Tries of one message before it is `failed`; the waits between them double from the first.
MAX_ATTEMPTS = 5
FIRST_RETRY = timedelta(minutes=1)  # then 2, 4 and 8 minutes: a receiver down for 15 minutes is waited for
CUT_SHORT = (
    "its try was cut short (the sender stopped): it may have arrived; `notify --resend ID` sends it again"
)


@dataclass
class Sent:
    """What one `notify` did, by message id."""

    sent: list[int] = field(default_factory=list)
    retrying: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    unknown: list[int] = field(default_factory=list)  # found cut short by an earlier run


@dataclass(frozen=True)
class Failures:
    """What `notify --failed` lists: messages not known to have arrived, and reps without an address."""

    messages: list[StoredMessage]
    unaddressed: dict[str, int]  # rep -> changes waiting for an e-mail address


def notify(workspace: WorkspaceStore, ctx: Context) -> Sent:
    """Send what is due now: bundle each recipient's due items into a message, then try every
    pending message and every retry whose time has come, oldest first."""
    settings = load_settings()
    now = ctx.now()
    done = Sent()
    with workspace.unit_of_work(write=True, lock=LOCK) as uow:
        for message in uow.outbox.messages([MessageState.SENDING]):
            uow.outbox.mark(message.message_id, MessageState.UNKNOWN, message.attempts, last_error=CUT_SHORT)
            done.unknown.append(message.message_id)
        readdress_waiting(uow)
        _bundle(uow, now)
        due = [
            m
            for m in uow.outbox.messages([MessageState.PENDING, MessageState.RETRY])
            if m.next_try_at is None or m.next_try_at <= now
        ]
        subscriptions = _subscriptions(uow)
        for message in due:  # a setting a message needs is missing: say so before anything is sent
            _check_settings(settings, message, subscriptions)
    for message in due:
        state = _try(workspace, ctx, settings, message)
        if state is not None:
            tally = {MessageState.SENT: done.sent, MessageState.RETRY: done.retrying}.get(state, done.failed)
            tally.append(message.message_id)
    return done


def resend(workspace: WorkspaceStore, ctx: Context, message_id: int) -> StoredMessage:
    """Send an `unknown` or `failed` message again, with the same key (a receiver that got the first
    copy can drop this one); the message as the try left it."""
    settings = load_settings()
    with workspace.unit_of_work() as uow:
        message = uow.outbox.message(message_id)
        if message is None:
            raise BadInput.at(f"no message {message_id} in the outbox", "--resend")
        if message.state not in (MessageState.UNKNOWN, MessageState.FAILED):
            raise BadInput.at(
                f"message {message_id} is {message.state.value}: only unknown and failed ones are resent",
                "--resend",
            )
        _check_settings(settings, message, _subscriptions(uow))
    if _try(workspace, ctx, settings, message) is None:
        raise BadInput.at(f"message {message_id} changed while it was being resent; try again", "--resend")
    with workspace.unit_of_work() as uow:
        tried = uow.outbox.message(message_id)
    assert tried is not None  # messages are never deleted
    return tried


def failures(workspace: WorkspaceStore) -> Failures:
    with workspace.unit_of_work() as uow:
        messages = uow.outbox.messages([MessageState.UNKNOWN, MessageState.FAILED])
        waiting: dict[str, int] = defaultdict(int)
        for item in uow.outbox.items(ItemState.UNADDRESSED):
            waiting[item.rep_id] += 1
    return Failures(messages, dict(sorted(waiting.items())))


def _bundle(uow: UnitOfWork, now: datetime) -> None:
    """Each recipient's due items on one channel and destination become one message."""
    groups: dict[tuple[str, Channel, str], list[int]] = defaultdict(list)
    contents: dict[tuple[str, Channel, str], tuple[set[int], set[str]]] = defaultdict(lambda: (set(), set()))
    for item in uow.outbox.items(ItemState.PENDING, due_by=now):
        group = (item.recipient, item.channel, item.destination or "")
        groups[group].append(item.item_id)
        contents[group][0].add(item.change_set_id)
        contents[group][1].add(item.rep_id)
    for group in sorted(groups):
        recipient, channel, destination = group
        change_sets, reps = contents[group]
        key = message_key(change_sets, reps, channel, destination)
        message = StoredMessage(0, key, recipient, channel, destination, MessageState.PENDING, 0, now)
        uow.outbox.bundle(groups[group], message)


def _subscriptions(uow: UnitOfWork) -> dict[str, StoredSubscription]:
    """Subscriptions by the recipient name their items carry, ended ones too (a message outlives them)."""
    return {f"subscription:{s.subscription_id}": s for s in uow.subscriptions.all()}


def _check_settings(
    settings: Settings, message: StoredMessage, subscriptions: dict[str, StoredSubscription]
) -> None:
    if message.channel is Channel.EMAIL:
        for name, value in (("smtp_host", settings.smtp_host), ("smtp_from", settings.smtp_from)):
            if not value:
                raise BadInput.at(
                    f"e-mail is waiting to be sent but {name} is not set "
                    f"({name} in territorial.toml, or TERRITORIAL_{name.upper()})",
                    "settings",
                    subject=name,
                )
        return
    subscription = subscriptions.get(message.recipient)
    if (
        subscription is not None
        and subscription.secret
        and subscription.secret not in settings.webhook_secrets
    ):
        raise BadInput.at(
            f"webhook {subscription.subscription_id} is signed with the secret {subscription.secret!r}, "
            "which the settings no longer hold ([webhook_secrets] in territorial.toml, or "
            "TERRITORIAL_WEBHOOK_SECRETS)",
            "settings",
            subject="webhook_secrets",
        )


def _try(
    workspace: WorkspaceStore, ctx: Context, settings: Settings, message: StoredMessage
) -> MessageState | None:
    """One try: `sending` is committed first, so a crash during the try leaves it `unknown`, never
    sent twice by itself. None: the message was no longer as read (another run took it)."""
    attempts = message.attempts + 1
    with workspace.unit_of_work() as uow:
        sections = _sections(uow, message)
        subscription = _subscriptions(uow).get(message.recipient)
    with workspace.unit_of_work(write=True, lock=LOCK) as uow:
        current = uow.outbox.message(message.message_id)
        if current is None or current.state is not message.state:
            return None  # another `notify` took it meanwhile: it is theirs to send
        uow.outbox.mark(message.message_id, MessageState.SENDING, attempts)
    try:
        _deliver(ctx, settings, message, sections, subscription)
    except DeliveryFailed as failed:
        if failed.permanent or attempts >= MAX_ATTEMPTS:
            state, next_try = MessageState.FAILED, None
        else:
            state, next_try = MessageState.RETRY, ctx.now() + FIRST_RETRY * 2 ** (attempts - 1)
        with workspace.unit_of_work(write=True, lock=LOCK) as uow:
            uow.outbox.mark(message.message_id, state, attempts, next_try_at=next_try, last_error=str(failed))
        return state
    with workspace.unit_of_work(write=True, lock=LOCK) as uow:
        uow.outbox.mark(message.message_id, MessageState.SENT, attempts, sent_at=ctx.now())
    return MessageState.SENT


def _sections(uow: UnitOfWork, message: StoredMessage) -> list[Section]:
    """Each rep's part of a message, from the change log (which never changes, so a resent message
    says the same). Addressed to the rep in their own digest, naming them in anyone else's."""
    items = uow.outbox.items(message_id=message.message_id)
    by_rep: dict[str, set[int]] = defaultdict(set)
    for item in items:
        by_rep[item.rep_id].add(item.change_set_id)
    sections = []
    for rep_id in sorted(by_rep):
        ids = sorted(by_rep[rep_id])
        who = None if message.recipient == rep_id else rep_id
        lines = tuple(entry.text for entry in done_entries(uow, rep_id, ids, who))
        rows = uow.changes.rows(ids, rep_id=rep_id)
        changes = tuple(
            {"change_set_id": str(row["change_set_id"]), **{c: row[c] for c in CHANGE_COLUMNS}}
            for row in rows.iter_rows(named=True)
        )
        sections.append(Section(rep_id, lines, changes))
    return sections


def _deliver(
    ctx: Context,
    settings: Settings,
    message: StoredMessage,
    sections: list[Section],
    subscription: StoredSubscription | None,
) -> None:
    if message.channel is Channel.EMAIL:
        assert settings.smtp_host is not None and settings.smtp_from is not None  # _check_settings
        password = None if settings.smtp_password is None else settings.smtp_password.get_secret_value()
        server = SmtpServer(
            settings.smtp_host, settings.smtp_port, settings.smtp_starttls, settings.smtp_user, password
        )
        send_email(
            server, email(message.key, settings.smtp_from, message.destination, sections, message.created_at)
        )
        return
    slack = subscription is not None and subscription.format is WebhookFormat.SLACK
    body = slack_body(sections) if slack else json_body(message.key, sections)
    name = None if subscription is None else subscription.secret
    secret = None if name is None else settings.webhook_secrets[name].get_secret_value()
    post(message.destination, body, message.key, secret, int(ctx.now().timestamp()))
