"""`territorial override add|remove|list` and `territorial hold add|remove|list`: pinning accounts,
and keeping them where they are until a day; each change updates the live assignment at once."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from territorial.cli.app import console, context_of, day_of, err, group, handled, workspace_of
from territorial.domain.plan import PRIMARY
from territorial.services.overrides import (
    PinChange,
    add_hold,
    add_override,
    list_holds,
    list_overrides,
    remove_hold,
    remove_override,
    status,
)
from territorial.services.settings import load_settings, today

override_app = group("override", "Accounts pinned to a territory and/or a rep, whatever the rules say.")
hold_app = group("hold", "Accounts kept in their live territory and rep until a day.")

AccountId = Annotated[str, typer.Argument(help="The account's id.", metavar="ACCOUNT_ID")]
Layer = Annotated[str, typer.Option("--layer", help="The plan layer (default primary).")]
UNTIL_HELP = "YYYY-MM-DD: it ends at 00:00 that day (the first tick on or after it)."
Every = Annotated[bool, typer.Option("--all", help="Ended ones too, with when and why they ended.")]


def _changed(done: PinChange) -> None:
    moved = "its territory or rep changed" if done.changed else "its territory and rep stay"
    err.print(f"{done.account_id} ({done.layer}): {moved}; cause: {done.cause}", highlight=False)


@override_app.command("add")
@handled
def override_add(
    ctx: typer.Context,
    account_id: AccountId,
    reason: Annotated[str, typer.Option("--reason", help="Why (the live row's cause says it).")],
    territory: Annotated[
        str | None,
        typer.Option("--territory", help="A territory of the active plan: its pool picks the rep."),
    ] = None,
    rep: Annotated[
        str | None,
        typer.Option(
            "--rep", help="A rep of the active plan's roster; without --territory, the rules' territory."
        ),
    ] = None,
    layer: Layer = PRIMARY,
    until: Annotated[str | None, typer.Option("--until", help=UNTIL_HELP)] = None,
) -> None:
    """Pin an account to a territory and/or a rep; it beats a hold. The live rows change at once."""
    day = day_of(until, "--until")
    _changed(add_override(workspace_of(ctx), context_of(ctx), account_id, territory, rep, reason, layer, day))


@override_app.command("remove")
@handled
def override_remove(ctx: typer.Context, account_id: AccountId, layer: Layer = PRIMARY) -> None:
    """End an account's override: the rules (or its hold) place it again, at once."""
    _changed(remove_override(workspace_of(ctx), context_of(ctx), account_id, layer))


@override_app.command("list")
@handled
def override_list(ctx: typer.Context, every: Every = False) -> None:
    """The overrides in force (an expired one stays in force until the next tick ends it)."""
    on = today(context_of(ctx), load_settings())
    rows = [
        (
            o.override_id,
            o.account_id,
            o.layer,
            o.territory_id,
            o.rep_id,
            o.reason,
            o.actor,
            o.until,
            status(o.until, o.end_cause, on),
        )
        for o in list_overrides(workspace_of(ctx), every)
    ]
    listing(
        "Overrides",
        ["override", "account", "layer", "territory", "rep", "reason", "by", "until", "status"],
        rows,
    )


@hold_app.command("add")
@handled
def hold_add(
    ctx: typer.Context,
    account_id: AccountId,
    until: Annotated[
        str, typer.Option("--until", help="YYYY-MM-DD: the first tick on or after that day ends it.")
    ],
    layer: Layer = PRIMARY,
) -> None:
    """Keep an account's live territory and rep (an active rep) until a day; refused on an overridden
    account."""
    _changed(add_hold(workspace_of(ctx), context_of(ctx), account_id, day_of(until, "--until"), layer))


@hold_app.command("remove")
@handled
def hold_remove(ctx: typer.Context, account_id: AccountId, layer: Layer = PRIMARY) -> None:
    """End an account's hold: the rules place it again, at once."""
    _changed(remove_hold(workspace_of(ctx), context_of(ctx), account_id, layer))


@hold_app.command("list")
@handled
def hold_list(ctx: typer.Context, every: Every = False) -> None:
    """The holds in force (an expired one stays in force until the next tick ends it)."""
    on = today(context_of(ctx), load_settings())
    rows = [
        (
            h.hold_id,
            h.account_id,
            h.layer,
            h.territory_id,
            h.rep_id,
            h.actor,
            h.until,
            status(h.until, h.end_cause, on),
        )
        for h in list_holds(workspace_of(ctx), every)
    ]
    listing("Holds", ["hold", "account", "layer", "territory", "rep", "by", "until", "status"], rows)


def listing(title: str, columns: list[str], rows: Sequence[Sequence[object]]) -> None:
    if not rows:
        console().print(f"no {title.lower()}")
        return
    table = Table(title=title)
    for name in columns:
        table.add_column(name, overflow="fold")
    for row in rows:
        table.add_row(*(escape("" if v is None else str(v)) for v in row))
    console().print(table)
