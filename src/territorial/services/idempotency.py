"""Idempotency-Key: a creating request's answer kept per user for 24 hours, so that a client that
lost the answer and sends the request again gets the same answer and creates nothing twice."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import timedelta

from territorial.errors import BadInput, Conflict
from territorial.services.context import Context
from territorial.services.unit_of_work import WorkspaceStore
from territorial.store.idempotency import StoredAnswer

# As long as Stripe's and the IETF draft's examples keep them: long enough for any client's retries.
KEPT_FOR = timedelta(hours=24)
# A UUID or any other token of printable characters; bounded so a key is never a payload.
KEY = re.compile(r"[\x21-\x7e]{1,255}")


@dataclass(frozen=True)
class Answer:
    status: int
    body: str  # JSON, as sent


def request_fingerprint(method: str, path: str, body: str) -> str:
    """What makes two requests the same: the operation and its body (canonical JSON)."""
    return hashlib.sha256(f"{method} {path}\n{body}".encode()).hexdigest()


def _checked(key: str) -> str:
    if not KEY.fullmatch(key):
        raise BadInput.at(
            "an Idempotency-Key is 1 to 255 printable characters without spaces (a UUID, say)",
            "Idempotency-Key",
        )
    return key


def earlier_answer(workspace: WorkspaceStore, ctx: Context, key: str, fingerprint: str) -> Answer | None:
    """The answer kept for the user's key within the last 24 hours; the same key with another
    request is a conflict."""
    with workspace.unit_of_work() as uow:
        stored = uow.idempotency.get(ctx.principal.name, _checked(key), ctx.now() - KEPT_FOR)
    if stored is None:
        return None
    if stored.request_hash != fingerprint:
        raise Conflict.at(
            f"the Idempotency-Key {key!r} was used at {stored.created_at} for another request; "
            "a new request takes a new key",
            "Idempotency-Key",
        )
    return Answer(stored.status, stored.body)


def keep_answer(workspace: WorkspaceStore, ctx: Context, key: str, fingerprint: str, answer: Answer) -> None:
    now = ctx.now()
    stored = StoredAnswer(fingerprint, answer.status, answer.body, now)
    with workspace.unit_of_work(write=True, lock="idempotency") as uow:
        uow.idempotency.keep(ctx.principal.name, _checked(key), stored, now - KEPT_FOR)
