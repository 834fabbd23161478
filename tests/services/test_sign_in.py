"""Web sign-in on each real back end: passwords kept as argon2 hashes, sessions kept as the SHA-256 of
their id, failed sign-ins limited per user and per address with the counters in the workspace."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from conftest import CTX
from territorial.domain.entities import Entity
from territorial.errors import BadInput, NotAllowed, NotSignedIn, TooManyAttempts
from territorial.services.context import Context, Principal, Role, Scope
from territorial.services.imports import import_records
from territorial.services.sign_in import (
    FAILURE_WINDOW,
    FAILURES_PER_ADDRESS,
    FAILURES_PER_USER,
    SESSION_HOURS,
    same_token,
    session_of,
    set_password,
    sign_in,
    sign_out,
)
from territorial.services.users import add_user, disable_user
from territorial.store import tables
from territorial.store.workspace import Workspace

PASSWORD = "correct horse battery"
NOW = CTX.now()


@pytest.fixture
def with_ann(workspace: Workspace, tmp_path: Path) -> Workspace:
    reps = tmp_path / "reps.csv"
    reps.write_text("rep_id,name\nR-1,Ann\n", encoding="utf-8")
    import_records(workspace, CTX, Entity.REPS, reps)
    add_user(workspace, CTX, "ann", Role.REP, "R-1")
    set_password(workspace, CTX, "ann", PASSWORD)
    return workspace


def stored(workspace: Workspace, table: str) -> list[dict[str, object]]:
    with workspace.engine.connect() as connection:
        return [dict(row._mapping) for row in connection.execute(select(tables.metadata.tables[table]))]


def test_a_password_is_kept_as_an_argon2id_hash_and_a_session_as_a_sha256(with_ann: Workspace) -> None:
    (password_row,) = stored(with_ann, "user_passwords")
    assert str(password_row["password_hash"]).startswith("$argon2id$")
    assert PASSWORD not in str(password_row)
    new = sign_in(with_ann, "ann", PASSWORD, "10.0.0.1", NOW)
    (session_row,) = stored(with_ann, "web_sessions")
    assert session_row["session_hash"] == hashlib.sha256(new.session_id.encode()).hexdigest()
    assert new.session_id not in str(session_row)
    assert new.expires_at == NOW + timedelta(hours=SESSION_HOURS)
    assert new.session.principal == Principal("ann", Role.REP, "R-1", frozenset({Scope.READ}))
    assert session_of(with_ann, new.session_id, NOW) == new.session
    assert same_token(new.session.csrf_token, new.session.csrf_token)
    assert not same_token(new.session.csrf_token, new.session.csrf_token[:-1] + "x")
    assert not same_token(new.session.csrf_token, None)


def test_a_session_ends_on_sign_out_expiry_new_password_and_disabling(with_ann: Workspace) -> None:
    first = sign_in(with_ann, "ann", PASSWORD, "10.0.0.1", NOW)
    sign_out(with_ann, first.session_id, NOW)
    with pytest.raises(NotSignedIn, match="sign in again"):
        session_of(with_ann, first.session_id, NOW)
    second = sign_in(with_ann, "ann", PASSWORD, "10.0.0.1", NOW)
    with pytest.raises(NotSignedIn):
        session_of(with_ann, second.session_id, second.expires_at)
    set_password(with_ann, CTX, "ann", "another long password")
    with pytest.raises(NotSignedIn):
        session_of(with_ann, second.session_id, NOW)
    with pytest.raises(NotSignedIn, match="wrong user name or password"):
        sign_in(with_ann, "ann", PASSWORD, "10.0.0.1", NOW)
    third = sign_in(with_ann, "ann", "another long password", "10.0.0.1", NOW)
    disable_user(with_ann, CTX, "ann")
    with pytest.raises(NotSignedIn):
        session_of(with_ann, third.session_id, NOW)
    with pytest.raises(NotSignedIn):
        sign_in(with_ann, "ann", "another long password", "10.0.0.1", NOW)
    with pytest.raises(NotSignedIn):
        session_of(with_ann, "made-up", NOW)


def test_an_unknown_user_reads_as_a_wrong_password(with_ann: Workspace) -> None:
    with pytest.raises(NotSignedIn) as unknown:
        sign_in(with_ann, "ghost", PASSWORD, "10.0.0.1", NOW)
    with pytest.raises(NotSignedIn) as wrong:
        sign_in(with_ann, "ann", "not her password", "10.0.0.1", NOW)
    assert str(unknown.value) == str(wrong.value)


def test_failed_sign_ins_are_limited_per_user_then_forgiven_after_the_window(with_ann: Workspace) -> None:
    for _ in range(FAILURES_PER_USER):
        with pytest.raises(NotSignedIn):
            sign_in(with_ann, "ann", "a wrong guess!", "10.0.0.1", NOW)
    # Even the right password is refused now, from another address too: the guesser learns nothing.
    with pytest.raises(TooManyAttempts, match="this user: try again in 14 minute"):
        sign_in(with_ann, "ann", PASSWORD, "10.0.0.2", NOW + timedelta(minutes=1))
    assert {row["attempt_key"]: row["failures"] for row in stored(with_ann, "sign_in_failures")} == {
        "user:ann": FAILURES_PER_USER,
        "ip:10.0.0.1": FAILURES_PER_USER,
    }
    later = NOW + FAILURE_WINDOW
    assert sign_in(with_ann, "ann", PASSWORD, "10.0.0.2", later).session.principal.name == "ann"


def test_failed_sign_ins_are_limited_per_address_across_user_names(with_ann: Workspace) -> None:
    for n in range(FAILURES_PER_ADDRESS):
        with pytest.raises(NotSignedIn):
            sign_in(with_ann, f"guess{n}", "a wrong guess!", "10.0.0.9", NOW)
    with pytest.raises(TooManyAttempts, match="this address"):
        sign_in(with_ann, "ann", PASSWORD, "10.0.0.9", NOW)
    assert sign_in(with_ann, "ann", PASSWORD, "10.0.0.1", NOW).session.principal.rep_id == "R-1"


def test_bad_passwords_and_who_may_set_them(with_ann: Workspace) -> None:
    with pytest.raises(BadInput, match="at least 12 characters"):
        set_password(with_ann, CTX, "ann", "short")
    with pytest.raises(BadInput, match="no user named 'ghost'"):
        set_password(with_ann, CTX, "ghost", PASSWORD)
    add_user(with_ann, CTX, "crm", Role.INTEGRATION)
    with pytest.raises(BadInput, match="signs in with a token"):
        set_password(with_ann, CTX, "crm", PASSWORD)
    ann = Context("ann", Principal("ann", Role.REP, "R-1"))
    with pytest.raises(NotAllowed, match="only an admin"):
        set_password(with_ann, ann, "ann", "my own new password")
