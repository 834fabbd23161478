"""Telling reps what changed: who is told how often and where (subscriptions), and the outbox of
what is to be told (items) and of what was sent (messages), sent at most once."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Digest(StrEnum):
    """How often a rep (or a manager, for the team) is told: at once, or in one message a day or a week."""

    IMMEDIATE = "immediate"
    DAILY = "daily"  # the day's changes, due from 00:00 the next day
    WEEKLY = "weekly"  # the week's changes, due from 00:00 the next Monday


class Channel(StrEnum):
    EMAIL = "email"
    WEBHOOK = "webhook"


class WebhookFormat(StrEnum):
    SLACK = "slack"  # Slack-compatible: {"text": ...}
    JSON = "json"  # the changes themselves, signed with the subscription's secret


class ItemState(StrEnum):
    PENDING = "pending"  # waits for its digest to be due
    BUNDLED = "bundled"  # in a message (`message_id`)
    UNADDRESSED = "unaddressed"  # the rep has no e-mail address: `notify --failed` lists it


class MessageState(StrEnum):
    """pending -> sending (committed before each try) -> sent | retry (at next_try_at) | unknown."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    RETRY = "retry"
    UNKNOWN = "unknown"  # a try a crash cut short: never re-sent but by `notify --resend`
    FAILED = "failed"  # refused by the receiver, or still failing after the last try


@dataclass(frozen=True)
class StoredSubscription:
    """Who is told about whose changes, where and how often. A rep's own e-mail is implicit (daily, to
    the rep's `email`); a subscription with `rep_id` is that rep's own preference. Otherwise it covers
    `reps` or the `team` of a manager (the reps whose manager_id is theirs), never anyone by default."""

    subscription_id: int
    channel: Channel
    digest: Digest
    created_at: datetime
    actor: str | None = None
    rep_id: str | None = None  # a rep's own preference (channel e-mail)
    team: str | None = None  # the manager whose team it covers
    reps: tuple[str, ...] = ()  # the reps it covers
    destination: str | None = None  # an e-mail address or a webhook URL; a rep's own: None = the rep's email
    format: WebhookFormat | None = None
    secret: str | None = None  # the name of a webhook secret in the settings (never the secret itself)

    def covers(self, rep_id: str, manager_id: str | None) -> bool:
        """Whether a rep's changes go to this subscription."""
        return (
            rep_id in self.reps
            or rep_id == self.rep_id
            or (self.team is not None and self.team == manager_id)
        )


@dataclass(frozen=True)
class OutboxItem:
    """One change set to tell one recipient about, for one rep: written with the change."""

    change_set_id: int
    rep_id: str  # whose changes
    recipient: str  # the rep (own digest), `team:MANAGER` or `webhook:ID`
    channel: Channel
    destination: str | None
    digest: Digest
    due_at: datetime
    state: ItemState


@dataclass(frozen=True)
class StoredItem(OutboxItem):
    item_id: int = 0
    message_id: int | None = None


@dataclass(frozen=True)
class StoredMessage:
    """What `notify` sends: the due items of one recipient, channel and destination; `key` is its
    idempotency key (the e-mail's Message-ID, the webhook's Idempotency-Key header)."""

    message_id: int
    key: str
    recipient: str
    channel: Channel
    destination: str
    state: MessageState
    attempts: int
    created_at: datetime
    next_try_at: datetime | None = None
    sent_at: datetime | None = None
    last_error: str | None = None


def message_key(
    change_set_ids: Iterable[int], reps: Iterable[str], channel: Channel, destination: str
) -> str:
    """A message's idempotency key: the SHA-256 of its change sets, reps, channel and destination. The
    same content to the same place always has the same key, so a receiver can drop a second copy."""
    canonical = {
        "change_sets": sorted(set(change_set_ids)),
        "reps": sorted(set(reps)),
        "channel": channel.value,
        "destination": destination,
    }
    text = json.dumps(canonical, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()
