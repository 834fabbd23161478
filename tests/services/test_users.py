"""Users and API tokens on each real back end: only a token's hash is kept, and a revoked or
expired token, or a disabled user's, signs in as nobody."""

from __future__ import annotations

import hashlib
from dataclasses import astuple
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from conftest import CTX
from territorial.domain.entities import Entity
from territorial.errors import BadInput, NotAllowed, NotSignedIn
from territorial.services.context import Context, Principal, Role, Scope
from territorial.services.imports import import_records
from territorial.services.users import (
    add_user,
    create_token,
    disable_user,
    list_tokens,
    revoke_token,
    signed_in,
)
from territorial.store.workspace import Workspace


@pytest.fixture
def with_reps(workspace: Workspace, tmp_path: Path) -> Workspace:
    reps = tmp_path / "reps.csv"
    reps.write_text("rep_id,name,manager_id\nM-1,Mia,\nR-1,Ann,M-1\n", encoding="utf-8")
    import_records(workspace, CTX, Entity.REPS, reps)
    return workspace


def test_a_token_is_kept_as_its_sha256_only(with_reps: Workspace) -> None:
    add_user(with_reps, CTX, "ann", Role.REP, "R-1")
    created = create_token(with_reps, CTX, "ann", label="laptop")
    (stored,) = list_tokens(with_reps, CTX)
    assert stored.token_hash == hashlib.sha256(created.token.encode()).hexdigest()
    assert created.token not in {str(value) for value in astuple(stored)}
    assert stored.expires_at == CTX.now() + timedelta(days=90)
    principal = signed_in(with_reps, created.token, CTX.now())
    assert principal == Principal("ann", Role.REP, "R-1", frozenset({Scope.READ}))


def test_revoked_expired_and_disabled_sign_in_as_nobody(with_reps: Workspace) -> None:
    add_user(with_reps, CTX, "mia", Role.MANAGER, "M-1")
    first = create_token(with_reps, CTX, "mia", days=1)
    second = create_token(with_reps, CTX, "mia", days=None)
    assert signed_in(with_reps, first.token, CTX.now() + timedelta(hours=23)).name == "mia"
    with pytest.raises(NotSignedIn, match="unknown, revoked or expired"):
        signed_in(with_reps, first.token, CTX.now() + timedelta(days=1))
    revoke_token(with_reps, CTX, second.stored.token_id)
    with pytest.raises(NotSignedIn):
        signed_in(with_reps, second.token, CTX.now())
    third = create_token(with_reps, CTX, "mia")
    disable_user(with_reps, CTX, "mia")
    with pytest.raises(NotSignedIn):
        signed_in(with_reps, third.token, CTX.now())
    with pytest.raises(NotSignedIn):
        signed_in(with_reps, "trl_" + "x" * 43, CTX.now())


def test_scopes_narrow_a_role_and_never_widen_it(with_reps: Workspace) -> None:
    add_user(with_reps, CTX, "pat", Role.PLANNER)
    add_user(with_reps, CTX, "crm", Role.INTEGRATION)
    narrowed = create_token(with_reps, CTX, "pat", scopes=["read"])
    principal = signed_in(with_reps, narrowed.token, CTX.now())
    assert principal.may(Scope.READ) and not principal.may(Scope.ROUTE_LEADS)
    crm = signed_in(with_reps, create_token(with_reps, CTX, "crm").token, CTX.now())
    assert not crm.may(Scope.READ) and crm.may(Scope.ROUTE_LEADS)
    with pytest.raises(BadInput, match="may not hold the scope 'read'"):
        create_token(with_reps, CTX, "crm", scopes=["read"])
    with pytest.raises(BadInput, match="may not hold the scope 'write'"):
        create_token(with_reps, CTX, "crm", scopes=["write"])
    with pytest.raises(BadInput, match="unknown scope 'admin'"):
        create_token(with_reps, CTX, "pat", scopes=["admin"])
    assert not principal.may(Scope.WRITE)  # a planner's read-only token writes nothing


def test_bad_users_are_refused_naming_the_option(with_reps: Workspace) -> None:
    with pytest.raises(BadInput, match="give the rep they are") as missing:
        add_user(with_reps, CTX, "ann", Role.REP)
    assert missing.value.problems[0].location.file == "--rep"
    with pytest.raises(BadInput, match="no workspace rep with id 'R-9'"):
        add_user(with_reps, CTX, "ann", Role.REP, "R-9")
    add_user(with_reps, CTX, "ann", Role.REP, "R-1")
    with pytest.raises(BadInput, match="already a user named 'ann'"):
        add_user(with_reps, CTX, "ann", Role.REP, "R-1")
    with pytest.raises(BadInput, match="not a user name"):
        add_user(with_reps, CTX, "a b", Role.ADMIN)
    planner = Context("pat", Principal("pat", Role.PLANNER), lambda: datetime(2026, 3, 2))
    with pytest.raises(NotAllowed, match="only an admin may create tokens"):
        create_token(with_reps, planner, "ann")
