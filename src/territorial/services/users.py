"""The service's users and API tokens: adding and disabling users, creating tokens (shown once,
kept as their SHA-256) and revoking them, and who a presented token signs in as."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from territorial.domain.users import StoredToken, StoredUser
from territorial.errors import BadInput, NotAllowed, NotSignedIn
from territorial.services.context import ROLE_SCOPES, Context, Principal, Role, Scope
from territorial.services.unit_of_work import WorkspaceStore

# 32 random bytes: too many to guess, so a plain SHA-256 (no salt, no slow hash) keeps them safe.
TOKEN_BYTES = 32
# A prefix says what the secret is when it turns up in a log or a repository (secret scanners key on it).
TOKEN_PREFIX = "trl_"
DEFAULT_TOKEN_DAYS = 90
USER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,254}")
# Roles whose rows are their own: a user of these roles must say which rep they are.
LINKED_ROLES = frozenset({Role.MANAGER, Role.REP})


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _admin_only(ctx: Context, what: str) -> None:
    if ctx.principal.role is not Role.ADMIN:
        raise NotAllowed.at(f"only an admin may {what}", "role", subject=ctx.principal.role.value)


def role_named(text: str, option: str = "--role") -> Role:
    try:
        return Role(text.strip().lower())
    except ValueError:
        known = ", ".join(role.value for role in Role)
        raise BadInput.at(f"unknown role {text!r}; expected one of {known}", option) from None


def add_user(
    workspace: WorkspaceStore, ctx: Context, user_name: str, role: Role, rep_id: str | None = None
) -> StoredUser:
    """A new user; a manager or a rep names the workspace rep they are, for their rows."""
    _admin_only(ctx, "add users")
    if not USER_NAME.fullmatch(user_name):
        raise BadInput.at(
            f"not a user name: {user_name!r}; expected letters, digits and . _ @ - (up to 255)", "USER_NAME"
        )
    if role in LINKED_ROLES and not rep_id:
        raise BadInput.at(f"a {role.value} sees their own rows: give the rep they are with --rep", "--rep")
    with workspace.unit_of_work(write=True, lock="users") as uow:
        if uow.users.get(user_name) is not None:
            raise BadInput.at(f"there is already a user named {user_name!r}", "USER_NAME")
        if rep_id is not None and rep_id not in {rep.rep_id for rep in uow.reps.list()}:
            raise BadInput.at(f"no workspace rep with id {rep_id!r}; import the reps first", "--rep")
        uow.users.add(user_name, role.value, rep_id, ctx.now())
        added = uow.users.get(user_name)
    assert added is not None
    return added


def list_users(workspace: WorkspaceStore, ctx: Context) -> list[StoredUser]:
    _admin_only(ctx, "list users")
    with workspace.unit_of_work() as uow:
        return uow.users.list()


def disable_user(workspace: WorkspaceStore, ctx: Context, user_name: str) -> None:
    """The user's tokens and web sessions stop working at once; the user and their tokens stay on record."""
    _admin_only(ctx, "disable users")
    with workspace.unit_of_work(write=True, lock="users") as uow:
        if uow.users.get(user_name) is None:
            raise BadInput.at(f"no user named {user_name!r}; `territorial user list` shows them", "USER_NAME")
        uow.users.disable(user_name)
        uow.sessions.end_all_of(user_name, ctx.now())  # signed out of the web app at once too


@dataclass(frozen=True)
class CreatedToken:
    token: str  # shown once: only its hash is kept
    stored: StoredToken


def create_token(
    workspace: WorkspaceStore,
    ctx: Context,
    user_name: str,
    scopes: Sequence[str] = (),
    days: int | None = DEFAULT_TOKEN_DAYS,
    label: str | None = None,
) -> CreatedToken:
    """A new token for a user: by default every scope their role has, for `days` (None: no expiry)."""
    _admin_only(ctx, "create tokens")
    if days is not None and days < 1:
        raise BadInput.at(f"a token lasts at least 1 day, not {days}", "--days")
    with workspace.unit_of_work(write=True, lock="users") as uow:
        user = uow.users.get(user_name)
        if user is None:
            raise BadInput.at(
                f"no user named {user_name!r}; add one with `territorial user add`", "USER_NAME"
            )
        if user.disabled:
            raise BadInput.at(f"user {user_name!r} is disabled", "USER_NAME")
        allowed = ROLE_SCOPES[Role(user.role)]
        wanted = _scopes(scopes, allowed, user.role) if scopes else allowed
        token = TOKEN_PREFIX + secrets.token_urlsafe(TOKEN_BYTES)
        now = ctx.now()
        expires = None if days is None else now + timedelta(days=days)
        text = " ".join(sorted(scope.value for scope in wanted))
        token_id = uow.tokens.add(user_name, token_hash(token), text, now, expires, label)
        stored = uow.tokens.get(token_id)
    assert stored is not None
    return CreatedToken(token, stored)


def _scopes(given: Sequence[str], allowed: frozenset[Scope], role: str) -> frozenset[Scope]:
    chosen: set[Scope] = set()
    for text in given:
        try:
            scope = Scope(text.strip())
        except ValueError:
            known = ", ".join(s.value for s in Scope)
            raise BadInput.at(f"unknown scope {text!r}; expected one of {known}", "--scope") from None
        if scope not in allowed:
            raise BadInput.at(f"a {role} may not hold the scope {scope.value!r}", "--scope")
        chosen.add(scope)
    return frozenset(chosen)


def revoke_token(workspace: WorkspaceStore, ctx: Context, token_id: int) -> None:
    _admin_only(ctx, "revoke tokens")
    with workspace.unit_of_work(write=True, lock="users") as uow:
        token = uow.tokens.get(token_id)
        if token is None:
            raise BadInput.at(f"no token with id {token_id}; `territorial token list` shows them", "TOKEN_ID")
        if token.revoked_at is None:
            uow.tokens.revoke(token_id, ctx.now())


def list_tokens(workspace: WorkspaceStore, ctx: Context) -> list[StoredToken]:
    _admin_only(ctx, "list tokens")
    with workspace.unit_of_work() as uow:
        return uow.tokens.list()


def is_valid(token: StoredToken, now: datetime) -> bool:
    return token.revoked_at is None and (token.expires_at is None or now < token.expires_at)


def token_status(token: StoredToken, now: datetime) -> str:
    if token.revoked_at is not None:
        return f"revoked {token.revoked_at}"
    if not is_valid(token, now):
        return f"expired {token.expires_at}"
    return "valid" if token.expires_at is None else f"valid until {token.expires_at}"


def signed_in(workspace: WorkspaceStore, token: str, now: datetime) -> Principal:
    """The principal a presented token acts as: its user's role and rep, narrowed by its scopes. An
    unknown, revoked or expired token, or a disabled user, is not signed in (one message for all,
    so that a guess learns nothing)."""
    with workspace.unit_of_work() as uow:
        stored = uow.tokens.with_hash(token_hash(token.strip()))
        user = uow.users.get(stored.user_name) if stored is not None else None
    if stored is None or user is None or user.disabled or not is_valid(stored, now):
        raise NotSignedIn.at("the token is unknown, revoked or expired", "Authorization")
    scopes = frozenset(Scope(text) for text in stored.scopes.split())
    return Principal(user.user_name, Role(user.role), user.rep_id, scopes)
