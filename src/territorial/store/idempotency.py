"""The repository of the API's Idempotency-Key answers: a key is claimed before its request runs
(status 0 until the answer is kept), so two requests with one key never both run."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, insert, select, update

from territorial.store import tables
from territorial.store.repositories import Repository

PENDING = 0  # the status of a claimed key whose request has not answered yet


@dataclass(frozen=True)
class StoredAnswer:
    request_hash: str
    status: int  # PENDING while its request runs
    body: str
    created_at: datetime


class IdempotencyKeys(Repository):
    def get(self, user_name: str, key: str, since: datetime) -> StoredAnswer | None:
        """The answer kept for the user's key, unless it was kept before `since`."""
        table = tables.idempotency_keys
        row = self.connection.execute(
            select(table.c.request_hash, table.c.status, table.c.body, table.c.created_at).where(
                (table.c.user_name == user_name) & (table.c.key == key) & (table.c.created_at >= since)
            )
        ).first()
        return None if row is None else StoredAnswer(**row._mapping)

    def claim(
        self, user_name: str, key: str, request_hash: str, now: datetime, forget_before: datetime
    ) -> None:
        """Claim the key for a request about to run, forgetting every answer kept before `forget_before`."""
        table = tables.idempotency_keys
        connection = self._writing()
        connection.execute(delete(table).where(table.c.created_at < forget_before))
        connection.execute(
            insert(table).values(
                user_name=user_name,
                key=key,
                request_hash=request_hash,
                status=PENDING,
                body="",
                created_at=now,
            )
        )

    def answer(self, user_name: str, key: str, status: int, body: str) -> None:
        table = tables.idempotency_keys
        self._writing().execute(
            update(table)
            .where((table.c.user_name == user_name) & (table.c.key == key))
            .values(status=status, body=body)
        )

    def release(self, user_name: str, key: str) -> None:
        """Forget a claim whose request failed: the client may send it again."""
        table = tables.idempotency_keys
        self._writing().execute(delete(table).where((table.c.user_name == user_name) & (table.c.key == key)))
