"""GET /dashboard (KPIs, the balance chart, alerts, quick links), its KPI table as CSV, and plotly.js
as bundled, for the chart."""

from __future__ import annotations

import json

from fastapi import APIRouter, Request, Response

from territorial.errors import NotAllowed
from territorial.services.dashboard import TABLE_COLUMNS, Dashboard, dashboard
from territorial.services.rep_home import as_csv
from territorial.services.review_page import balance_figure, plotly_gzipped
from territorial.services.sign_in import WebSession
from territorial.web.home import csv_response, shell
from territorial.web.render import page
from territorial.web.session import current_session, workspace

router = APIRouter(include_in_schema=False)
PLOTLY = "/assets/plotly-4.1.2.min.js"  # the version in data/ATTRIBUTION.md
# A vendored file never changes under its versioned name: the browser keeps it a day.
KEEP_ASSET = "public, max-age=86400, immutable"


@router.get(PLOTLY)
def plotly_js() -> Response:
    """plotly.js as the package bundles it, gzip-compressed: every browser takes gzip."""
    return Response(
        plotly_gzipped(),
        media_type="text/javascript; charset=utf-8",
        headers={"Content-Encoding": "gzip", "Cache-Control": KEEP_ASSET},
    )


def _chart(board: Dashboard) -> str:
    """The balance chart as plotly's JSON, safe inside a <script type="application/json">."""
    figure = balance_figure(board.balance, board.bars)
    figure["layout"].pop("height", None)
    text = json.dumps(figure, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return text.replace("</", "<\\/")


def _board(request: Request) -> tuple[WebSession, Dashboard | Response]:
    """Who is signed in, and the dashboard as they may see it, or the page saying it is not theirs
    (a rep's)."""
    _, session = current_session(request)
    try:
        return session, dashboard(workspace(request), session.context)
    except NotAllowed:
        return session, page(request, "not_yours.html.j2", 403, title="Dashboard", **shell(session))


@router.get("/dashboard")
def dashboard_page(request: Request) -> Response:
    session, board = _board(request)
    if isinstance(board, Response):
        return board
    return page(
        request,
        "dashboard.html.j2",
        title="Dashboard",
        board=board,
        rows=board.table.to_dicts(),
        columns=TABLE_COLUMNS,
        chart=_chart(board),
        plotly=PLOTLY,
        **shell(session),
    )


@router.get("/dashboard/kpis.csv")
def kpis_csv(request: Request) -> Response:
    _, board = _board(request)
    if isinstance(board, Response):
        return board
    name = "kpis-by-territory.csv" if board.by == "territory" else "kpis-by-rep.csv"
    return csv_response(as_csv(board.table.to_dicts(), TABLE_COLUMNS), name)
