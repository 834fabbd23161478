"""Who the browser is: the session cookie read back into a session, the cookies' attributes, and
the CSRF check every form post passes."""

from __future__ import annotations

from urllib.parse import parse_qs

from fastapi import Request, Response

from territorial.errors import NotSignedIn
from territorial.services.context import system_clock
from territorial.services.sign_in import SESSION_HOURS, WebSession, same_token, session_of
from territorial.services.unit_of_work import WorkspaceStore

SESSION_COOKIE = "territorial_session"
# Before a session exists, the sign-in form's CSRF token is a cookie the form repeats (double
# submit): another site cannot read it, so it cannot sign a victim in as the attacker.
SIGN_IN_COOKIE = "territorial_sign_in"
CSRF_FIELD = "csrf_token"
# A sign-in or sign-out form is a few hundred bytes: a larger body is not ours.
LARGEST_FORM = 16_384


class SignInFirst(Exception):
    """No session, or one that has ended: the page answers with the way to the sign-in form."""


class RefusedForm(Exception):
    """A form post without this session's CSRF token, or not a form at all."""


class BadField(Exception):
    """A form field holding what no field may hold (a NUL character, which the databases refuse or
    cut short): answered 400, naming the field."""

    def __init__(self, field: str) -> None:
        super().__init__(field)
        self.field = field


def workspace(request: Request) -> WorkspaceStore:
    store: WorkspaceStore = request.app.state.workspace
    return store


def current_session(request: Request) -> tuple[str, WebSession]:
    """The session id the cookie holds and its session, or SignInFirst."""
    session_id = request.cookies.get(SESSION_COOKIE)
    if not session_id:
        raise SignInFirst
    try:
        return session_id, session_of(workspace(request), session_id, system_clock())
    except NotSignedIn:
        raise SignInFirst from None


def set_cookie(request: Request, response: Response, name: str, value: str, seconds: int) -> None:
    """HttpOnly (no script reads it), SameSite=Lax (no other site's form post carries it), and Secure
    when the browser reached us over TLS, directly or through a trusted proxy."""
    response.set_cookie(
        name,
        value,
        max_age=seconds,
        path="/",
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )


def set_session_cookie(request: Request, response: Response, session_id: str) -> None:
    set_cookie(request, response, SESSION_COOKIE, session_id, SESSION_HOURS * 3600)


async def form_of(request: Request, expected_token: str | None) -> dict[str, str]:
    """A posted form's fields (the first value of each), once its CSRF token matches."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    body = await request.body()
    if kind != "application/x-www-form-urlencoded" or len(body) > LARGEST_FORM:
        raise RefusedForm
    fields = {
        name: values[0]
        for name, values in parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True).items()
    }
    if expected_token is None or not same_token(expected_token, fields.get(CSRF_FIELD)):
        raise RefusedForm
    for name, value in fields.items():
        if "\x00" in value or "\x00" in name:
            raise BadField(name.replace("\x00", "\\0"))
    return fields
