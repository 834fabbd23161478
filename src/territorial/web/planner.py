"""What the planners' pages share: the session of a user who may change plans (anyone else gets the
page saying whose it is), and a service's bad input put under the form field it is about."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from fastapi import Request, Response

from territorial.errors import BadInput
from territorial.services.context import Scope
from territorial.services.pages import Page
from territorial.services.sign_in import WebSession
from territorial.web.home import shell
from territorial.web.render import page
from territorial.web.session import current_session

GENERAL = "general"  # a problem about no one field: shown above the form


def planner_session(request: Request, title: str) -> tuple[WebSession, Response | None]:
    """The session, and None when its user plans (admins and planners with write), else the 403
    page saying the page is for planners."""
    _, session = current_session(request)
    principal = session.principal
    if principal.sees_everything and principal.may(Scope.WRITE):
        return session, None
    return session, not_for(request, session, title)


def not_for(request: Request, session: WebSession, title: str) -> Response:
    return page(request, "not_yours.html.j2", 403, title=title, audience="planners", **shell(session))


def field_errors(
    problem: BadInput, fields: Iterable[str], aliases: dict[str, str] | None = None
) -> dict[str, str]:
    """Each problem's message under the form field it names (its location's file or subject, or an
    alias of it), the others under GENERAL."""
    known, aliases = set(fields), aliases or {}
    found: dict[str, str] = {}
    for each in problem.problems:
        where = each.location
        names = [aliases.get(n, n) for n in (where.subject, where.file) if n]
        field = next((n for n in names if n in known), GENERAL)
        text = each.message if field != GENERAL or not where.line else f"{each.message} (line {where.line})"
        found[field] = f"{found[field]}; {text}" if field in found else text
    return found


def every_row(fetch: Callable[[str | None], Page]) -> list[dict[str, Any]]:
    """Every row of a paged listing (a plan's territories, the plans), page after page."""
    rows: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        found = fetch(cursor)
        rows += found.rows
        cursor = found.next_cursor
        if cursor is None:
            return rows
