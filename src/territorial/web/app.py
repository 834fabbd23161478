"""The web app on the API's server: its pages, its static files, and what a page answers when the
browser is not signed in or posts a form without its CSRF token."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request, Response
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles

from territorial.web import dashboard, home, imports, maps, plan_activation, plan_editor, sign_in
from territorial.web.render import page
from territorial.web.session import BadField, RefusedForm, SignInFirst

STATIC = Path(__file__).parent / "static"


async def to_sign_in(request: Request, error: Exception) -> Response:
    """A page asks for the sign-in form; a fragment htmx asked for sends the whole window there."""
    if request.headers.get("HX-Request") == "true":
        return Response(status_code=204, headers={"HX-Redirect": "/sign-in"})
    return RedirectResponse("/sign-in", status_code=303)


async def refused_form(request: Request, error: Exception) -> Response:
    return page(request, "refused.html.j2", 403, title="Form refused")


async def bad_field(request: Request, error: Exception) -> Response:
    field = error.field if isinstance(error, BadField) else ""
    return page(request, "bad_field.html.j2", 400, title="Form refused", field=field)


def mount_web(app: FastAPI) -> None:
    for module in (sign_in, home, dashboard, maps, plan_editor, plan_activation, imports):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_exception_handler(SignInFirst, to_sign_in)
    app.add_exception_handler(RefusedForm, refused_form)
    app.add_exception_handler(BadField, bad_field)
