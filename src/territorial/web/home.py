"""The rep home: GET /home (my accounts, my leads, my change feed), /home/accounts/{id}/why (the
explanation, a fragment for htmx or a page), and each table as CSV."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from territorial.errors import BadInput, NotFound
from territorial.services.assignment_views import explain_for
from territorial.services.context import Role
from territorial.services.rep_home import (
    ACCOUNT_COLUMNS,
    FEED_COLUMNS,
    LEAD_COLUMNS,
    as_csv,
    feed_rows,
    my_accounts,
    my_feed,
    my_leads,
)
from territorial.services.sign_in import WebSession
from territorial.web.render import page
from territorial.web.session import current_session, workspace

router = APIRouter(include_in_schema=False)
# Rows a table shows on the page; the CSV holds every row. 500 rows render in well under 100 ms.
ROWS_SHOWN = 500
# What the home's first heading and the nav call the user's rows, by role.
BOOK_NAMES = {Role.REP: "My book", Role.MANAGER: "My team's book"}


def shell(session: WebSession) -> dict[str, Any]:
    """What every page's layout needs: who is signed in, the nav for their role, the CSRF token."""
    principal = session.principal
    return {
        "user_name": principal.name,
        "role": principal.role.value,
        "rep_id": principal.rep_id,
        "book_name": BOOK_NAMES.get(principal.role, "Accounts"),
        "csrf_token": session.csrf_token,
        "sees_everything": principal.sees_everything,
    }


@router.get("/")
def root(request: Request) -> Response:
    current_session(request)
    return Response(status_code=303, headers={"Location": "/home"})


@router.get("/home")
def home(request: Request) -> Response:
    _, session = current_session(request)
    ctx, store = session.context, workspace(request)
    accounts = my_accounts(store, ctx, ROWS_SHOWN)
    leads = my_leads(store, ctx, ROWS_SHOWN)
    feed = feed_rows(my_feed(store, ctx))
    return page(
        request,
        "home.html.j2",
        title=BOOK_NAMES.get(session.principal.role, "Accounts"),
        accounts=accounts,
        account_columns=ACCOUNT_COLUMNS,
        leads=leads,
        lead_columns=LEAD_COLUMNS,
        feed=feed,
        rows_shown=ROWS_SHOWN,
        **shell(session),
    )


@router.get("/home/accounts/{account_id}/why")
def why(request: Request, account_id: str) -> Response:
    _, session = current_session(request)
    # htmx swaps only a 2xx answer into the panel: the fragment says what went wrong in words.
    asked_by_htmx = request.headers.get("HX-Request") == "true"
    try:
        explanation = explain_for(workspace(request), session.context, account_id)
    except NotFound:
        return page(
            request,
            "why.html.j2",
            200 if asked_by_htmx else 404,
            account_id=account_id,
            missing=True,
            title="Why",
            **shell(session),
        )
    except BadInput as problem:
        message = problem.problems[0].message
        return page(
            request,
            "why.html.j2",
            200 if asked_by_htmx else 409,
            account_id=account_id,
            problem=message,
            title="Why",
            **shell(session),
        )
    return page(
        request, "why.html.j2", account_id=account_id, explanation=explanation, title="Why", **shell(session)
    )


def csv_response(text: str, name: str) -> Response:
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/home/accounts.csv")
def accounts_csv(request: Request) -> Response:
    _, session = current_session(request)
    rows = my_accounts(workspace(request), session.context).rows
    return csv_response(as_csv(rows, ACCOUNT_COLUMNS), "my-accounts.csv")


@router.get("/home/leads.csv")
def leads_csv(request: Request) -> Response:
    _, session = current_session(request)
    rows = my_leads(workspace(request), session.context).rows
    return csv_response(as_csv(rows, LEAD_COLUMNS), "my-leads.csv")


@router.get("/home/feed.csv")
def feed_csv(request: Request) -> Response:
    _, session = current_session(request)
    rows = feed_rows(my_feed(workspace(request), session.context))
    return csv_response(as_csv(rows, FEED_COLUMNS), "my-feed.csv")
