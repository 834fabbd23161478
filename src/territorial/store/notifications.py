"""The repositories of telling reps what changed: subscriptions, and the outbox (its items, written
with each change, and the messages `notify` makes of them)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update

from territorial.domain.notifications import (
    Channel,
    Digest,
    ItemState,
    MessageState,
    OutboxItem,
    StoredItem,
    StoredMessage,
    StoredSubscription,
    WebhookFormat,
)
from territorial.store import tables
from territorial.store.repositories import Repository


class Subscriptions(Repository):
    def add(self, subscription: StoredSubscription) -> int:
        """A new subscription (its id is given by the store, not taken from `subscription`)."""
        values = {
            "channel": subscription.channel.value,
            "digest": subscription.digest.value,
            "rep_id": subscription.rep_id,
            "team": subscription.team,
            "reps": ",".join(subscription.reps) or None,
            "destination": subscription.destination,
            "format": None if subscription.format is None else subscription.format.value,
            "secret": subscription.secret,
            "actor": subscription.actor,
            "created_at": subscription.created_at,
        }
        table = tables.subscriptions
        result = self._writing().execute(insert(table).values(values).returning(table.c.subscription_id))
        return int(result.scalar_one())

    def in_force(self) -> list[StoredSubscription]:
        """The subscriptions not ended, oldest first."""
        table = tables.subscriptions
        rows = self.connection.execute(
            select(table).where(table.c.ended_at.is_(None)).order_by(table.c.subscription_id)
        ).all()
        return [_subscription(dict(row._mapping)) for row in rows]

    def all(self) -> list[StoredSubscription]:
        """Every subscription, ended ones too, oldest first: a message outlives its subscription."""
        table = tables.subscriptions
        rows = self.connection.execute(select(table).order_by(table.c.subscription_id)).all()
        return [_subscription(dict(row._mapping)) for row in rows]

    def end(self, subscription_id: int, ended_at: datetime) -> None:
        table = tables.subscriptions
        self._writing().execute(
            update(table).where(table.c.subscription_id == subscription_id).values(ended_at=ended_at)
        )


def _subscription(row: dict[str, Any]) -> StoredSubscription:
    return StoredSubscription(
        subscription_id=row["subscription_id"],
        channel=Channel(row["channel"]),
        digest=Digest(row["digest"]),
        created_at=row["created_at"],
        actor=row["actor"],
        rep_id=row["rep_id"],
        team=row["team"],
        reps=tuple(row["reps"].split(",")) if row["reps"] else (),
        destination=row["destination"],
        format=None if row["format"] is None else WebhookFormat(row["format"]),
        secret=row["secret"],
    )


class Outbox(Repository):
    """Items (one change set for one recipient) and the messages that carry them."""

    def enqueue(self, items: Sequence[OutboxItem]) -> None:
        if not items:
            return
        self._writing().execute(
            insert(tables.outbox_items),
            [
                {
                    "change_set_id": i.change_set_id,
                    "rep_id": i.rep_id,
                    "recipient": i.recipient,
                    "channel": i.channel.value,
                    "destination": i.destination,
                    "digest": i.digest.value,
                    "due_at": i.due_at,
                    "state": i.state.value,
                }
                for i in items
            ],
        )

    def items(
        self, state: ItemState | None = None, message_id: int | None = None, due_by: datetime | None = None
    ) -> list[StoredItem]:
        """The items in a state, of a message, due by a time; by item id."""
        table = tables.outbox_items
        query = select(table).order_by(table.c.item_id)
        if state is not None:
            query = query.where(table.c.state == state.value)
        if message_id is not None:
            query = query.where(table.c.message_id == message_id)
        if due_by is not None:
            query = query.where(table.c.due_at <= due_by)
        return [_item(dict(row._mapping)) for row in self.connection.execute(query).all()]

    def readdress(self, item_ids: Sequence[int], destination: str) -> None:
        """Unaddressed items given an address: pending again."""
        table = tables.outbox_items
        self._writing().execute(
            update(table)
            .where(table.c.item_id.in_(list(item_ids)))
            .values(destination=destination, state=ItemState.PENDING.value)
        )

    def bundle(self, item_ids: Sequence[int], message: StoredMessage) -> int:
        """A new message (its id given by the store) carrying the items; when a message with the same
        key exists (the same changes to the same place), the items join it and are not sent again."""
        connection, table = self._writing(), tables.outbox_messages
        found = connection.execute(select(table.c.message_id).where(table.c.key == message.key)).first()
        if found is not None:
            message_id = int(found[0])
        else:
            values = {
                "key": message.key,
                "recipient": message.recipient,
                "channel": message.channel.value,
                "destination": message.destination,
                "state": message.state.value,
                "attempts": message.attempts,
                "created_at": message.created_at,
            }
            inserted = connection.execute(insert(table).values(values).returning(table.c.message_id))
            message_id = int(inserted.scalar_one())
        items = tables.outbox_items
        connection.execute(
            update(items)
            .where(items.c.item_id.in_(list(item_ids)))
            .values(state=ItemState.BUNDLED.value, message_id=message_id)
        )
        return message_id

    def messages(self, states: Sequence[MessageState] | None = None) -> list[StoredMessage]:
        """The messages in some states (default all), by id."""
        table = tables.outbox_messages
        query = select(table).order_by(table.c.message_id)
        if states is not None:
            query = query.where(table.c.state.in_([s.value for s in states]))
        return [_message(dict(row._mapping)) for row in self.connection.execute(query).all()]

    def message(self, message_id: int) -> StoredMessage | None:
        table = tables.outbox_messages
        row = self.connection.execute(select(table).where(table.c.message_id == message_id)).first()
        return None if row is None else _message(dict(row._mapping))

    def mark(
        self,
        message_id: int,
        state: MessageState,
        attempts: int,
        next_try_at: datetime | None = None,
        sent_at: datetime | None = None,
        last_error: str | None = None,
    ) -> None:
        table = tables.outbox_messages
        self._writing().execute(
            update(table)
            .where(table.c.message_id == message_id)
            .values(
                state=state.value,
                attempts=attempts,
                next_try_at=next_try_at,
                sent_at=sent_at,
                last_error=last_error,
            )
        )


def _item(row: dict[str, Any]) -> StoredItem:
    return StoredItem(
        change_set_id=row["change_set_id"],
        rep_id=row["rep_id"],
        recipient=row["recipient"],
        channel=Channel(row["channel"]),
        destination=row["destination"],
        digest=Digest(row["digest"]),
        due_at=row["due_at"],
        state=ItemState(row["state"]),
        item_id=row["item_id"],
        message_id=row["message_id"],
    )


def _message(row: dict[str, Any]) -> StoredMessage:
    return StoredMessage(**{**row, "channel": Channel(row["channel"]), "state": MessageState(row["state"])})
