"""GET and POST /sign-in, POST /sign-out."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Cookie, Request, Response
from fastapi.responses import RedirectResponse

from territorial.errors import NotSignedIn, TooManyAttempts
from territorial.services.context import system_clock
from territorial.services.sign_in import sign_in, sign_out
from territorial.web.render import page
from territorial.web.session import (
    SESSION_COOKIE,
    SIGN_IN_COOKIE,
    SignInFirst,
    current_session,
    form_of,
    set_cookie,
    set_session_cookie,
    workspace,
)

router = APIRouter(include_in_schema=False)
SIGN_IN_FORM_SECONDS = 3600  # a sign-in form left open for an hour asks to be reloaded


def _form(request: Request, status: int = 200, error: str | None = None, typed_name: str = "") -> Response:
    """The sign-in form with a fresh CSRF token, repeated in a cookie."""
    token = secrets.token_urlsafe(32)
    response = page(
        request,
        "sign_in.html.j2",
        status,
        csrf_token=token,
        error=error,
        typed_name=typed_name,
        title="Sign in",
    )
    set_cookie(request, response, SIGN_IN_COOKIE, token, SIGN_IN_FORM_SECONDS)
    return response


@router.get("/sign-in")
def sign_in_form(request: Request) -> Response:
    try:
        current_session(request)
        return RedirectResponse("/home", status_code=303)
    except SignInFirst:
        return _form(request)


@router.post("/sign-in")
async def sign_in_posted(
    request: Request, sign_in_token: Annotated[str | None, Cookie(alias=SIGN_IN_COOKIE)] = None
) -> Response:
    fields = await form_of(request, sign_in_token)
    user_name = fields.get("user_name", "").strip()
    address = request.client.host if request.client is not None else "unknown"
    try:
        new = sign_in(workspace(request), user_name, fields.get("password", ""), address, system_clock())
    except TooManyAttempts as refused:
        return _form(request, 429, _sentence(refused.problems[0].message), user_name)
    except NotSignedIn as refused:
        return _form(request, 401, _sentence(refused.problems[0].message), user_name)
    response = RedirectResponse("/home", status_code=303)
    set_session_cookie(request, response, new.session_id)
    response.delete_cookie(SIGN_IN_COOKIE, path="/")
    return response


def _sentence(message: str) -> str:
    return message[:1].upper() + message[1:] + "."


@router.post("/sign-out")
async def sign_out_posted(request: Request) -> Response:
    session_id, session = current_session(request)
    await form_of(request, session.csrf_token)
    sign_out(workspace(request), session_id, system_clock())
    response = RedirectResponse("/sign-in", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
