"""`territorial audit --account|--rep|--plan` (who changed what, when and why) and `audit verify`
(the chain is whole, or the first entry edited, inserted or deleted: exit 3)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from territorial.cli.app import CHECK_FAILED, console, day_of, err, group, handled, workspace_of
from territorial.cli.progress import stage_bar
from territorial.services.audit import audit_rows, verify_chain
from territorial.services.plans import stored_plan_id

audit_app = group(
    "audit",
    "The audit trail: `territorial audit --account ID | --rep ID | --plan ID [--since DATE]` shows "
    "who changed what, when and why; `territorial audit verify` checks the chain.",
    default_command=True,
    usage="--account ID | --rep ID | --plan ID | verify",
)


@audit_app.command("show")  # run as `audit --account ID`
@handled
def audit_show(
    ctx: typer.Context,
    account: Annotated[str | None, typer.Option("--account", help="An account's id.")] = None,
    rep: Annotated[str | None, typer.Option("--rep", help="A rep's id: accounts gained and lost.")] = None,
    plan: Annotated[
        str | None, typer.Option("--plan", help="A stored plan's id, or `active`: its edits and changes.")
    ] = None,
    since: Annotated[
        str | None, typer.Option("--since", help="YYYY-MM-DD: changes that took effect that day or later.")
    ] = None,
) -> None:
    """The changed rows of an account, a rep or a plan, oldest first: change set, when (UTC), who,
    what, from → to (territory / rep) and cause."""
    workspace = workspace_of(ctx)
    plan_id = stored_plan_id(workspace, plan, "--plan") if plan is not None else None
    rows = audit_rows(workspace, account, rep, plan_id, day_of(since, "--since"))
    if not rows:
        console().print("no changes recorded")
        return
    table = Table(title="Audit trail")
    for name in ["change set", "when (UTC)", "who", "what", "account", "layer", "from → to", "cause"]:
        table.add_column(name, overflow="fold")
    for row in rows:
        moved = f"{row.from_place} → {row.to_place}" if row.account_id is not None else ""
        cells = [row.change_set, row.at, row.actor, row.what, row.account_id, row.layer, moved, row.cause]
        table.add_row(*(escape("" if v is None else str(v)) for v in cells))
    console().print(table)


@audit_app.command("verify")
@handled
def audit_verify(
    ctx: typer.Context,
    expect_head: Annotated[
        str | None,
        typer.Option(
            "--expect-head",
            help="SEQ:HASH, a head printed earlier: the chain must still hold it (a truncated tail shows).",
        ),
    ] = None,
) -> None:
    """Check every entry of the audit trail from the first: exit 3 naming the first entry edited,
    inserted or deleted, else print the head (seq and hash)."""
    with stage_bar(err) as progress:
        verified = verify_chain(workspace_of(ctx), expect_head, progress)
    if verified.broken is not None:
        broken = verified.broken
        err.print(
            f"[red]the audit trail does not verify:[/red] entry {broken.seq} was {broken.what}: "
            f"{escape(broken.detail)}",
            highlight=False,
        )
        raise typer.Exit(CHECK_FAILED)
    if verified.hash is None:
        console().print("the audit trail is empty")
        return
    console().print(f"{verified.seq}:{verified.hash}", highlight=False)
    err.print(f"the audit trail verifies: {verified.seq:,} entries; its head is above")
