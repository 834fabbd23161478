"""`territorial rep add|leave|move|list|cancel`: the roster of the active plan, changed today at once
or on a later day through `territorial tick`."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from territorial.cli.app import console, context_of, day_of, err, group, handled, workspace_of
from territorial.cli.progress import stage_bar
from territorial.cli.render import counted
from territorial.progress import Progress, silent
from territorial.services.balance import parse_share
from territorial.services.roster import (
    RosterChanged,
    add_rep,
    cancel_change,
    leave_rep,
    move_rep,
    roster_view,
)
from territorial.services.roster_apply import Applied
from territorial.services.roster_draft import check_recommendation, recommend

rep_app = group("rep", "The rep roster: who covers each territory of the active plan, and changes to it.")

RepId = Annotated[str, typer.Argument(help="The rep's id.", metavar="REP_ID")]
Effective = Annotated[
    str | None,
    typer.Option(
        "--effective",
        help="YYYY-MM-DD, in the workspace's time zone (default today): a later day waits for "
        "`territorial tick` on that day.",
    ),
]
MaxMoves = Annotated[
    str | None,
    typer.Option(
        "--max-moves",
        help="The recommended reassignment: share of accounts that may change rep, e.g. 0.02 or 2%.",
    ),
]
Lock = Annotated[
    str | None,
    typer.Option("--lock", help="The recommended reassignment: a rule whose accounts stay with their rep."),
]
NoDraft = Annotated[
    bool, typer.Option("--no-draft", help="Make no recommended reassignment (no draft plan).")
]


@dataclass
class Asked:
    """A rep command's change, made inside `_recommending`'s block with its progress callback."""

    progress: Progress = silent
    done: RosterChanged | None = None


@contextmanager
def _recommending(
    ctx: typer.Context, max_moves: str | None, lock: str | None, no_draft: bool
) -> Iterator[Asked]:
    """The roster change asked for in the block (with a progress line), then its recommended
    reassignment: the balancing optimizer's, written as a draft plan to compare with the active one."""
    share = None if max_moves is None else parse_share(max_moves, "--max-moves")
    check_recommendation(share, lock)
    asked = Asked()
    with stage_bar(err) as progress:
        asked.progress = progress
        yield asked
        if asked.done is None:
            return
        _done(asked.done)
        if no_draft:
            return
        found = recommend(workspace_of(ctx), context_of(ctx), asked.done.change, share, lock, progress)
    if found.plan_id is None:
        err.print(f"no recommended reassignment: {found.why_not}", highlight=False)
        return
    err.print(
        f"recommended reassignment: draft plan {found.plan_id} ({counted(found.moves, 'account')} "
        "change rep); "
        f"`territorial plan compare active {found.plan_id}` shows it",
        highlight=False,
    )


def _done(asked: RosterChanged) -> None:
    change = asked.change
    if asked.applied is None:
        err.print(
            f"roster change {change.change_id} scheduled for {change.effective}: {change.what()} "
            f"(`territorial tick` applies it that day; `territorial rep cancel {change.change_id}` "
            "takes it back)",
            highlight=False,
        )
        return
    applied_lines(asked.applied)


def applied_lines(applied: Applied) -> None:
    """What an applied (or, at a tick, cancelled) roster change did, one line each."""
    change = applied.change
    if applied.cancelled is not None:
        err.print(f"roster change {change.change_id} ({change.what()}) {applied.cancelled}", highlight=False)
        return
    moved = counted(applied.changed, "live row")
    err.print(f"{change.event()} on {change.effective}: {moved} moved", highlight=False)
    if applied.held:
        err.print(f"{applied.held} held with {change.rep_id} until {change.book_until}", highlight=False)
    for line in [*applied.vacant, *(f"{ended} ended" for ended in applied.ended)]:
        err.print(line, highlight=False)


@rep_app.command("add")
@handled
def rep_add(
    ctx: typer.Context,
    rep_id: RepId,
    territory: Annotated[
        str, typer.Option("--territory", help="A territory of the active plan: the rep joins its pool, last.")
    ],
    effective: Effective = None,
    max_moves: MaxMoves = None,
    lock: Lock = None,
    no_draft: NoDraft = False,
) -> None:
    """An active rep joins a territory's pool: its waiting accounts (a vacant territory's) go to them."""
    day = day_of(effective, "--effective")
    with _recommending(ctx, max_moves, lock, no_draft) as asked:
        asked.done = add_rep(workspace_of(ctx), context_of(ctx), rep_id, territory, day, asked.progress)


@rep_app.command("leave")
@handled
def rep_leave(
    ctx: typer.Context,
    rep_id: RepId,
    effective: Effective = None,
    max_moves: MaxMoves = None,
    lock: Lock = None,
    no_draft: NoDraft = False,
) -> None:
    """A rep leaves every pool: each pool shares out their book (a pool left empty is vacant: its
    manager, else the vacant_owner setting, takes it); their holds and the overrides to them end."""
    day = day_of(effective, "--effective")
    with _recommending(ctx, max_moves, lock, no_draft) as asked:
        asked.done = leave_rep(workspace_of(ctx), context_of(ctx), rep_id, day, asked.progress)


@rep_app.command("move")
@handled
def rep_move(
    ctx: typer.Context,
    rep_id: RepId,
    to: Annotated[
        str, typer.Option("--to", help="A territory of the active plan: the rep leaves those of its layer.")
    ],
    with_book: Annotated[
        str | None,
        typer.Option(
            "--with-book",
            help="YYYY-MM-DD: holds keep the rep's accounts with them until that day, then the pool "
            "shares them.",
        ),
    ] = None,
    effective: Effective = None,
    max_moves: MaxMoves = None,
    lock: Lock = None,
    no_draft: NoDraft = False,
) -> None:
    """A rep moves to another territory: out of their territories of its layer, into its pool."""
    book, day = day_of(with_book, "--with-book"), day_of(effective, "--effective")
    with _recommending(ctx, max_moves, lock, no_draft) as asked:
        asked.done = move_rep(workspace_of(ctx), context_of(ctx), rep_id, to, book, day, asked.progress)


@rep_app.command("list")
@handled
def rep_list(
    ctx: typer.Context,
    history: Annotated[
        bool, typer.Option("--history", help="Ended roster rows and every change, applied or cancelled, too.")
    ] = False,
) -> None:
    """The roster (each territory's reps in pool order, since when) and the changes waiting for a tick."""
    view = roster_view(workspace_of(ctx), history)
    out = console()
    if view.rows.is_empty():
        out.print("no roster: no plan has been active")
    else:
        table = Table(title="Roster")
        columns = ["territory", "rep", "from", *(["to"] if history else [])]
        for name in columns:
            table.add_column(name, overflow="fold")
        for row in view.rows.iter_rows(named=True):
            cells = [
                row["territory_id"],
                row["rep_id"],
                row["valid_from"],
                *([row["valid_to"]] if history else []),
            ]
            table.add_row(*(escape("" if v is None else str(v)) for v in cells))
        out.print(table)
    if not view.changes:
        out.print("no roster changes" if history else "no roster changes waiting")
        return
    table = Table(title="Roster changes" if history else "Roster changes waiting")
    for name in ["change", "effective", "what", "by", "status"]:
        table.add_column(name, overflow="fold")
    for change in view.changes:
        status = change.status.value + (f": {change.note}" if change.note else "")
        cells = [change.change_id, change.effective, change.what(), change.actor, status]
        table.add_row(*(escape("" if v is None else str(v)) for v in cells))
    out.print(table)


@rep_app.command("cancel")
@handled
def rep_cancel(
    ctx: typer.Context,
    change_id: Annotated[
        int, typer.Argument(help="A waiting roster change (`rep list`).", metavar="CHANGE_ID")
    ],
) -> None:
    """Take back a roster change that waits for its day."""
    change = cancel_change(workspace_of(ctx), context_of(ctx), change_id)
    err.print(
        f"roster change {change.change_id} cancelled: {change.what()} on {change.effective}", highlight=False
    )
