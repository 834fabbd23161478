"""The repositories of web sign-in: password hashes, server-side sessions and failed-attempt counters."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Table, delete, insert, select, update

from territorial.domain.users import StoredSession
from territorial.store import tables
from territorial.store.repositories import Repository


def _put(connection: Connection, table: Table, key: str, values: dict[str, Any]) -> None:
    """The row whose `key` column holds values[key], in place of any before (on both back ends)."""
    connection.execute(delete(table).where(table.c[key] == values[key]))
    connection.execute(insert(table).values(values))


class Passwords(Repository):
    def hash_of(self, user_name: str) -> str | None:
        table = tables.user_passwords
        row = self.connection.execute(
            select(table.c.password_hash).where(table.c.user_name == user_name)
        ).first()
        return None if row is None else str(row.password_hash)

    def set(self, user_name: str, password_hash: str, set_at: datetime) -> None:
        values = {"user_name": user_name, "password_hash": password_hash, "set_at": set_at}
        _put(self._writing(), tables.user_passwords, "user_name", values)


class Sessions(Repository):
    def add(
        self, session_hash: str, user_name: str, csrf_token: str, created_at: datetime, expires_at: datetime
    ) -> None:
        values = {
            "session_hash": session_hash,
            "user_name": user_name,
            "csrf_token": csrf_token,
            "created_at": created_at,
            "expires_at": expires_at,
        }
        self._writing().execute(insert(tables.web_sessions).values(values))

    def with_hash(self, session_hash: str) -> StoredSession | None:
        table = tables.web_sessions
        row = self.connection.execute(select(table).where(table.c.session_hash == session_hash)).first()
        return None if row is None else StoredSession(**row._mapping)

    def end(self, session_hash: str, ended_at: datetime) -> None:
        table = tables.web_sessions
        self._writing().execute(
            update(table)
            .where((table.c.session_hash == session_hash) & table.c.ended_at.is_(None))
            .values(ended_at=ended_at)
        )

    def end_all_of(self, user_name: str, ended_at: datetime) -> None:
        """A new password or a disabled user ends every session the user had."""
        table = tables.web_sessions
        self._writing().execute(
            update(table)
            .where((table.c.user_name == user_name) & table.c.ended_at.is_(None))
            .values(ended_at=ended_at)
        )


class SignInFailures(Repository):
    def counted(self, attempt_key: str) -> tuple[datetime, int] | None:
        """When the key's window started and how many failures it holds; None if it has none."""
        table = tables.sign_in_failures
        row = self.connection.execute(select(table).where(table.c.attempt_key == attempt_key)).first()
        return None if row is None else (row.window_start, int(row.failures))

    def put(self, attempt_key: str, window_start: datetime, failures: int) -> None:
        values = {"attempt_key": attempt_key, "window_start": window_start, "failures": failures}
        _put(self._writing(), tables.sign_in_failures, "attempt_key", values)

    def clear(self, attempt_key: str) -> None:
        table = tables.sign_in_failures
        self._writing().execute(delete(table).where(table.c.attempt_key == attempt_key))
