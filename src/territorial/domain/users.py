"""The service's users and their API tokens, as the workspace keeps them (a token's hash, never
the token)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class StoredUser:
    user_name: str
    role: str  # services.context.Role
    rep_id: str | None  # the rep a manager or a rep is
    disabled: bool
    created_at: datetime


@dataclass(frozen=True)
class StoredToken:
    token_id: int
    user_name: str
    token_hash: str  # SHA-256 of the token, hex
    scopes: str  # space-separated services.context.Scope values, sorted
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    label: str | None


@dataclass(frozen=True)
class StoredSession:
    """A browser session as the workspace keeps it: the SHA-256 of the cookie's id, never the id."""

    session_hash: str
    user_name: str
    csrf_token: str
    created_at: datetime
    expires_at: datetime
    ended_at: datetime | None
