"""The repository of the API's Idempotency-Key answers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, insert, select

from territorial.store import tables
from territorial.store.repositories import Repository


@dataclass(frozen=True)
class StoredAnswer:
    request_hash: str
    status: int
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

    def keep(self, user_name: str, key: str, answer: StoredAnswer, forget_before: datetime) -> None:
        """Keep an answer, forgetting every user's answers kept before `forget_before`."""
        table = tables.idempotency_keys
        connection = self._writing()
        connection.execute(delete(table).where(table.c.created_at < forget_before))
        connection.execute(delete(table).where((table.c.user_name == user_name) & (table.c.key == key)))
        connection.execute(
            insert(table).values(
                user_name=user_name,
                key=key,
                request_hash=answer.request_hash,
                status=answer.status,
                body=answer.body,
                created_at=answer.created_at,
            )
        )
