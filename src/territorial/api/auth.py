"""Who is calling: the bearer token, checked against the stored hashes, gives the request's context."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from territorial.errors import NotSignedIn
from territorial.services.context import Context, system_clock
from territorial.services.unit_of_work import WorkspaceStore
from territorial.services.users import signed_in

bearer = HTTPBearer(auto_error=False, description="An API token: `territorial token create USER`.")


def workspace(request: Request) -> WorkspaceStore:
    store: WorkspaceStore = request.app.state.workspace
    return store


def context(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> Context:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise NotSignedIn.at("send an API token as `Authorization: Bearer TOKEN`", "Authorization")
    now = system_clock()
    principal = signed_in(workspace(request), credentials.credentials, now)
    return Context(principal.name, principal)


Workspace = Annotated[WorkspaceStore, Depends(workspace)]
Caller = Annotated[Context, Depends(context)]
