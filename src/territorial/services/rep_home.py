"""The web app's rep home: the signed-in user's accounts, leads and change feed, through the same
row-level access as the API, and any of its tables as a CSV a spreadsheet cannot run."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import polars as pl

from territorial.engine.feed import FeedEntry
from territorial.errors import BadInput
from territorial.io.exports import formula_safe
from territorial.services.context import Context
from territorial.services.feed import rep_feed
from territorial.services.pages import MAX_LIMIT, Page
from territorial.services.record_views import list_accounts, list_leads
from territorial.services.unit_of_work import WorkspaceStore
from territorial.services.visibility import visible_to

# What each table of the rep home shows, in this order: the same columns on the page and in its CSV.
ACCOUNT_COLUMNS = ("account_id", "name", "industry", "state", "country", "owner_id")
LEAD_COLUMNS = ("lead_id", "company", "email", "state", "routed_rep_id", "routed_territory_id")
FEED_COLUMNS = ("effective", "summary", "change", "planned")


@dataclass(frozen=True)
class Shown:
    """A table's rows, and whether more follow than were asked for (the CSV has them all)."""

    rows: list[dict[str, Any]]
    more: bool


def _rows(listing: Callable[[str | None, int], Page], columns: Sequence[str], limit: int | None) -> Shown:
    """The first `limit` rows of a paged listing (None: every row, its cursor followed to the end)."""
    rows: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = listing(cursor, MAX_LIMIT if limit is None else min(limit, MAX_LIMIT))
        rows.extend({column: row.get(column) for column in columns} for row in page.rows)
        cursor = page.next_cursor
        if cursor is None or (limit is not None and len(rows) >= limit):
            return Shown(rows, cursor is not None)


def my_accounts(workspace: WorkspaceStore, ctx: Context, limit: int | None = None) -> Shown:
    """The accounts the user may see (a rep: those they own in any layer), by account_id."""
    return _rows(
        lambda cursor, size: list_accounts(workspace, ctx, cursor=cursor, limit=size), ACCOUNT_COLUMNS, limit
    )


def my_leads(workspace: WorkspaceStore, ctx: Context, limit: int | None = None) -> Shown:
    """The leads the user may see (a rep: those routed to them), by lead_id."""
    return _rows(
        lambda cursor, size: list_leads(workspace, ctx, cursor=cursor, limit=size), LEAD_COLUMNS, limit
    )


def my_feed(workspace: WorkspaceStore, ctx: Context) -> list[FeedEntry]:
    """What changed for the user's own rep, newest first, with every id outside their scope hidden
    (a colleague who takes an account reads as [hidden]). A user who is no rep has no feed."""
    rep_id = ctx.principal.rep_id
    with workspace.unit_of_work() as uow:
        visible = visible_to(uow, ctx)
    if rep_id is None:
        return []
    try:
        entries = rep_feed(workspace, ctx, rep_id)
    except BadInput:
        return []  # their rep is not in the workspace (yet): nothing has changed for them
    cleaned = [
        replace(
            entry,
            summary=visible.text(entry.summary) or "",
            phrases=tuple(visible.text(phrase) or "" for phrase in entry.phrases),
        )
        for entry in entries
    ]
    return cleaned[::-1]


def feed_rows(entries: Sequence[FeedEntry]) -> list[dict[str, Any]]:
    return [
        {
            "effective": entry.effective.isoformat(),
            "summary": entry.summary,
            "change": "; ".join(entry.phrases),
            "planned": "planned" if entry.planned else "",
        }
        for entry in entries
    ]


def as_csv(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> str:
    """The rows as CSV, in these columns, every text cell that a spreadsheet would run as a formula
    prefixed with a quote (OWASP's CSV injection)."""
    frame = pl.DataFrame(
        {
            column: [None if row.get(column) is None else str(row[column]) for row in rows]
            for column in columns
        },
        schema=dict.fromkeys(columns, pl.String),
    )
    return formula_safe(frame).write_csv()
