"""Idempotency-Key: a creating request's answer kept per user for 24 hours, so that a client that
lost the answer and sends the request again gets the same answer and creates nothing twice. The key
is claimed before the request runs: a second request with it while the first runs gets 409."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from territorial.errors import BadInput, Conflict
from territorial.services.context import Context
from territorial.services.unit_of_work import WorkspaceStore
from territorial.store.idempotency import PENDING

# As long as Stripe's and the IETF draft's examples keep them: long enough for any client's retries.
KEPT_FOR = timedelta(hours=24)
# A UUID or any other token of printable characters; bounded so a key is never a payload.
KEY = re.compile(r"[\x21-\x7e]{1,255}")
LOCK = "idempotency"


@dataclass(frozen=True)
class Answer:
    status: int
    body: str  # JSON, as sent
    replayed: bool = False


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


def answer_once(
    workspace: WorkspaceStore, ctx: Context, key: str, fingerprint: str, act: Callable[[], Answer]
) -> Answer:
    """The answer kept for the user's key within the last 24 hours; else `act`'s, kept. The same key
    with another request, or while its first request still runs, is a conflict. A request that fails
    keeps nothing: sent again, it runs again."""
    user, now = ctx.principal.name, ctx.now()
    with workspace.unit_of_work(write=True, lock=LOCK) as uow:
        stored = uow.idempotency.get(user, _checked(key), now - KEPT_FOR)
        if stored is None:
            uow.idempotency.claim(user, key, fingerprint, now, now - KEPT_FOR)
    if stored is not None:
        if stored.request_hash != fingerprint:
            raise Conflict.at(
                f"the Idempotency-Key {key!r} was used at {stored.created_at} for another request; "
                "a new request takes a new key",
                "Idempotency-Key",
            )
        if stored.status == PENDING:
            raise Conflict.at(
                f"a request with the Idempotency-Key {key!r} is still running; send it again once "
                "it has answered",
                "Idempotency-Key",
            )
        return Answer(stored.status, stored.body, replayed=True)
    try:
        answer = act()
    except BaseException:
        with workspace.unit_of_work(write=True, lock=LOCK) as uow:
            uow.idempotency.release(user, key)
        raise
    with workspace.unit_of_work(write=True, lock=LOCK) as uow:
        uow.idempotency.answer(user, key, answer.status, answer.body)
    return answer
