"""Signing in to the web app: passwords kept as argon2 hashes, server-side sessions (the cookie's id
kept as its SHA-256) each with its CSRF token, and failed sign-ins limited per user and per address
with the counters in the workspace."""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from territorial.errors import BadInput, NotAllowed, NotSignedIn, TooManyAttempts
from territorial.services.context import ROLE_SCOPES, Context, Principal, Role
from territorial.services.unit_of_work import UnitOfWork, WorkspaceStore

# NIST SP 800-63B: at least 8 characters when chosen by a person; 12 because a planner's password
# reads every account. The upper bound keeps one hash from costing a request seconds.
SHORTEST_PASSWORD = 12
LONGEST_PASSWORD = 1024
# A working day: a rep signs in once in the morning; a stolen cookie is worthless by the evening.
SESSION_HOURS = 12
SESSION_BYTES = 32  # 256 random bits: a plain SHA-256 keeps them safe, as for API tokens
# Failed sign-ins counted in a fixed window: 5 guesses per user hold back a password guesser and
# still forgive a rep's typos; 20 per address let an office behind one address mistype, not spray.
FAILURE_WINDOW = timedelta(minutes=15)
FAILURES_PER_USER = 5
FAILURES_PER_ADDRESS = 20
# Roles that use the web app: an integration signs in with its token only.
WEB_ROLES = frozenset(ROLE_SCOPES) - {Role.INTEGRATION}
WRONG = "wrong user name or password"  # one message for an unknown user and a wrong password


@functools.cache
def _hasher() -> PasswordHasher:
    """argon2id with argon2-cffi's defaults (RFC 9106's second recommended option: 3 passes over
    64 MiB, 4 lanes), about 60 ms a hash on this machine."""
    return PasswordHasher()


@functools.cache
def _stand_in_hash() -> str:
    """A hash checked when the user is unknown, so that an unknown name takes as long as a wrong
    password and a guesser cannot tell them apart."""
    return _hasher().hash(secrets.token_urlsafe(16))


def session_hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("utf-8")).hexdigest()


def check_password(password: str, option: str = "password") -> str:
    """The password, if it is one we accept: long enough, not too long, not only spaces."""
    if len(password) < SHORTEST_PASSWORD:
        raise BadInput.at(f"a password has at least {SHORTEST_PASSWORD} characters", option)
    if len(password) > LONGEST_PASSWORD:
        raise BadInput.at(f"a password has at most {LONGEST_PASSWORD} characters", option)
    if not password.strip():
        raise BadInput.at("a password is more than spaces", option)
    return password


def set_password(workspace: WorkspaceStore, ctx: Context, user_name: str, password: str) -> None:
    """Give a user a password (or a new one): their open sessions end, so a leaked one stops working."""
    if ctx.principal.role is not Role.ADMIN:
        raise NotAllowed.at("only an admin may set passwords", "role", subject=ctx.principal.role.value)
    check_password(password)
    hashed = _hasher().hash(password)
    with workspace.unit_of_work(write=True, lock="users") as uow:
        user = uow.users.get(user_name)
        if user is None:
            raise BadInput.at(f"no user named {user_name!r}; `territorial user list` shows them", "USER_NAME")
        if Role(user.role) not in WEB_ROLES:
            raise BadInput.at(f"an {user.role} user signs in with a token, not a password", "USER_NAME")
        uow.passwords.set(user_name, hashed, ctx.now())
        uow.sessions.end_all_of(user_name, ctx.now())


@dataclass(frozen=True)
class WebSession:
    """A signed-in browser: who it acts as, and the token its form posts must carry."""

    principal: Principal
    csrf_token: str

    @property
    def context(self) -> Context:
        return Context(self.principal.name, self.principal)


@dataclass(frozen=True)
class NewSession:
    session_id: str  # for the cookie only: the workspace keeps its hash
    session: WebSession
    expires_at: datetime


def sign_in(
    workspace: WorkspaceStore, user_name: str, password: str, address: str, now: datetime
) -> NewSession:
    """A new session for the user, if the password is theirs and neither they nor the address have
    failed too often lately. A failure is counted for both before the error is raised."""
    user_key, address_key = f"user:{user_name[:255]}", f"ip:{address[:64]}"
    with workspace.unit_of_work() as uow:
        _refuse_when_limited(uow, user_key, FAILURES_PER_USER, now, "this user")
        _refuse_when_limited(uow, address_key, FAILURES_PER_ADDRESS, now, "this address")
        user = uow.users.get(user_name)
        stored = uow.passwords.hash_of(user_name) if user is not None else None
    # Outside the transaction: a hash takes tens of milliseconds, and SQLite has one writer.
    matches = _verify(stored or _stand_in_hash(), password) and stored is not None
    usable = matches and user is not None and not user.disabled and Role(user.role) in WEB_ROLES
    with workspace.unit_of_work(write=True, lock="sign-in") as uow:
        if not usable:
            for key in (user_key, address_key):
                _count_failure(uow, key, now)
        else:
            assert user is not None and stored is not None
            uow.sign_in_failures.clear(user_key)
            if _hasher().check_needs_rehash(stored):
                uow.passwords.set(user_name, _hasher().hash(password), now)
            session_id = secrets.token_urlsafe(SESSION_BYTES)
            csrf_token = secrets.token_urlsafe(SESSION_BYTES)
            expires = now + timedelta(hours=SESSION_HOURS)
            uow.sessions.add(session_hash(session_id), user_name, csrf_token, now, expires)
    if not usable:
        raise NotSignedIn.at(WRONG, "user_name")
    assert user is not None
    return NewSession(
        session_id, WebSession(_principal_of(user.user_name, user.role, user.rep_id), csrf_token), expires
    )


def _verify(stored: str, password: str) -> bool:
    try:
        return _hasher().verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def _refuse_when_limited(uow: UnitOfWork, key: str, limit: int, now: datetime, whom: str) -> None:
    counted = uow.sign_in_failures.counted(key)
    if counted is not None and now - counted[0] < FAILURE_WINDOW and counted[1] >= limit:
        wait = counted[0] + FAILURE_WINDOW - now
        minutes = max(1, -(-int(wait.total_seconds()) // 60))
        raise TooManyAttempts.at(
            f"too many failed sign-ins for {whom}: try again in {minutes} minute(s)", "user_name"
        )


def _count_failure(uow: UnitOfWork, key: str, now: datetime) -> None:
    counted = uow.sign_in_failures.counted(key)
    if counted is None or now - counted[0] >= FAILURE_WINDOW:
        uow.sign_in_failures.put(key, now, 1)
    else:
        uow.sign_in_failures.put(key, counted[0], counted[1] + 1)


def _principal_of(user_name: str, role: str, rep_id: str | None) -> Principal:
    """A session acts as its user with every scope their role has."""
    return Principal(user_name, Role(role), rep_id, ROLE_SCOPES[Role(role)])


def session_of(workspace: WorkspaceStore, session_id: str, now: datetime) -> WebSession:
    """The session a cookie names, while it is open and its user enabled; else not signed in."""
    with workspace.unit_of_work() as uow:
        stored = uow.sessions.with_hash(session_hash(session_id))
        user = uow.users.get(stored.user_name) if stored is not None else None
    if (
        stored is None
        or user is None
        or user.disabled
        or stored.ended_at is not None
        or now >= stored.expires_at
    ):
        raise NotSignedIn.at("the session has ended: sign in again", "session")
    return WebSession(_principal_of(user.user_name, user.role, user.rep_id), stored.csrf_token)


def sign_out(workspace: WorkspaceStore, session_id: str, now: datetime) -> None:
    with workspace.unit_of_work(write=True, lock="sign-in") as uow:
        uow.sessions.end(session_hash(session_id), now)


def same_token(expected: str, given: str | None) -> bool:
    """A CSRF token check in constant time, so that timing tells an attacker nothing."""
    return given is not None and hmac.compare_digest(expected.encode(), given.encode())
