"""The contract of the notification repositories (subscriptions, outbox items and messages), pinned
on the in-memory fake, on real SQLite and on real PostgreSQL alike."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from territorial.domain.notifications import (
    Channel,
    Digest,
    ItemState,
    MessageState,
    OutboxItem,
    StoredMessage,
    StoredSubscription,
    WebhookFormat,
)
from territorial.services.unit_of_work import WorkspaceStore

NOW = datetime(2026, 3, 2, 9, 30)
LOCK = "notify"


def test_subscriptions_round_trip_and_ended_ones_stay_readable(store: WorkspaceStore) -> None:
    own = StoredSubscription(0, Channel.EMAIL, Digest.WEEKLY, NOW, "ann", rep_id="r1", destination="r1@x.com")
    hook = StoredSubscription(
        0,
        Channel.WEBHOOK,
        Digest.IMMEDIATE,
        NOW,
        None,
        reps=("r1", "r2"),
        destination="https://hooks.example.com/a?b=c",
        format=WebhookFormat.JSON,
        secret="sales",
    )
    team = StoredSubscription(0, Channel.EMAIL, Digest.DAILY, NOW, "ann", team="m1", destination="m1@x.com")
    with store.unit_of_work(write=True, lock=LOCK) as uow:
        ids = [uow.subscriptions.add(s) for s in (own, hook, team)]
    assert ids == sorted(ids) and len(set(ids)) == 3
    with store.unit_of_work(write=True, lock=LOCK) as uow:
        uow.subscriptions.end(ids[1], NOW)
    with store.unit_of_work() as uow:
        in_force = uow.subscriptions.in_force()
        every = uow.subscriptions.all()
    assert in_force == [replace(own, subscription_id=ids[0]), replace(team, subscription_id=ids[2])]
    assert every[1] == replace(hook, subscription_id=ids[1])
    assert hook.covers("r2", None) and team.covers("r9", "m1") and not team.covers("m1", None)


def test_outbox_items_are_bundled_into_messages_marked_through_their_states(store: WorkspaceStore) -> None:
    later = NOW + timedelta(days=1)
    items = [
        OutboxItem(1, "r1", "r1", Channel.EMAIL, "r1@x.com", Digest.IMMEDIATE, NOW, ItemState.PENDING),
        OutboxItem(1, "r2", "r2", Channel.EMAIL, None, Digest.DAILY, later, ItemState.UNADDRESSED),
        OutboxItem(2, "r1", "r1", Channel.EMAIL, "r1@x.com", Digest.DAILY, later, ItemState.PENDING),
    ]
    with store.unit_of_work(write=True, lock=LOCK) as uow:
        uow.outbox.enqueue(items)
    with store.unit_of_work() as uow:
        due = uow.outbox.items(ItemState.PENDING, due_by=NOW)
        waiting = uow.outbox.items(ItemState.UNADDRESSED)
    assert [(i.change_set_id, i.rep_id, i.due_at) for i in due] == [(1, "r1", NOW)]
    assert [(i.rep_id, i.destination, i.message_id) for i in waiting] == [("r2", None, None)]
    message = StoredMessage(0, "k" * 64, "r1", Channel.EMAIL, "r1@x.com", MessageState.PENDING, 0, NOW)
    with store.unit_of_work(write=True, lock=LOCK) as uow:
        message_id = uow.outbox.bundle([due[0].item_id], message)
        uow.outbox.readdress([waiting[0].item_id], "r2@x.com")
        uow.outbox.mark(message_id, MessageState.SENDING, 1)
        # The same key again: the same changes to the same place join the message, never a second one.
        assert uow.outbox.bundle([], replace(message, recipient="subscription:9")) == message_id
    with store.unit_of_work(write=True, lock=LOCK) as uow:
        uow.outbox.mark(message_id, MessageState.RETRY, 1, next_try_at=later, last_error="refused")
    with store.unit_of_work() as uow:
        stored = uow.outbox.message(message_id)
        bundled = uow.outbox.items(message_id=message_id)
        pending = uow.outbox.items(ItemState.PENDING)
        retrying = uow.outbox.messages([MessageState.RETRY])
        assert uow.outbox.message(message_id + 1) is None
    expected = replace(message, message_id=message_id, state=MessageState.RETRY, attempts=1)
    assert stored == replace(expected, next_try_at=later, last_error="refused") and retrying == [stored]
    assert [(i.item_id, i.state) for i in bundled] == [(due[0].item_id, ItemState.BUNDLED)]
    assert [(i.rep_id, i.destination) for i in pending] == [("r2", "r2@x.com"), ("r1", "r1@x.com")]
