"""`territorial user add|list|disable` and `territorial token create|revoke|list`: who may use the API."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from territorial.cli.app import console, context_of, err, group, handled, workspace_of
from territorial.services.users import (
    DEFAULT_TOKEN_DAYS,
    add_user,
    create_token,
    disable_user,
    list_tokens,
    list_users,
    revoke_token,
    role_named,
    token_status,
)

user_app = group("user", "The API's users: a role each, and the rep a manager or a rep is.")
token_app = group("token", "API tokens: shown once, kept as a SHA-256 hash.")

UserName = Annotated[str, typer.Argument(help="The user's name.", metavar="USER_NAME")]


@user_app.command("add")
@handled
def user_add(
    ctx: typer.Context,
    user_name: UserName,
    role: Annotated[str, typer.Option("--role", help="admin, planner, manager, rep or integration.")],
    rep: Annotated[
        str | None, typer.Option("--rep", help="The workspace rep a manager or a rep is (their rows).")
    ] = None,
) -> None:
    """Add a user. A manager sees their team's rows, a rep their own: both name their rep."""
    added = add_user(workspace_of(ctx), context_of(ctx), user_name, role_named(role), rep)
    err.print(f"added {added.user_name} ({added.role})", highlight=False)


@user_app.command("list")
@handled
def user_list(ctx: typer.Context) -> None:
    """Every user: role, rep, whether disabled."""
    table = Table("user", "role", "rep", "disabled", "created")
    for user in list_users(workspace_of(ctx), context_of(ctx)):
        table.add_row(
            user.user_name, user.role, user.rep_id or "", "yes" if user.disabled else "", str(user.created_at)
        )
    console().print(table)


@user_app.command("disable")
@handled
def user_disable(ctx: typer.Context, user_name: UserName) -> None:
    """Disable a user: their tokens stop working at once."""
    disable_user(workspace_of(ctx), context_of(ctx), user_name)
    err.print(f"disabled {user_name}", highlight=False)


@token_app.command("create")
@handled
def token_create(
    ctx: typer.Context,
    user_name: UserName,
    scope: Annotated[
        list[str] | None,
        typer.Option(
            "--scope", help="read, write, leads:route or accounts:upsert (repeat; default: all the role has)."
        ),
    ] = None,
    days: Annotated[int, typer.Option("--days", help="Days until it expires.")] = DEFAULT_TOKEN_DAYS,
    no_expiry: Annotated[bool, typer.Option("--no-expiry", help="A token that never expires.")] = False,
    label: Annotated[
        str | None, typer.Option("--label", help="What it is for (shown by `token list`).")
    ] = None,
) -> None:
    """Create a token and print it once: only its hash is kept, so copy it now."""
    created = create_token(
        workspace_of(ctx), context_of(ctx), user_name, scope or [], None if no_expiry else days, label
    )
    stored = created.stored
    expires = f"expires {stored.expires_at}" if stored.expires_at else "never expires"
    err.print(
        f"token {stored.token_id} for {stored.user_name} ({stored.scopes}), {expires}; it is shown only now:",
        highlight=False,
    )
    print(created.token)


@token_app.command("revoke")
@handled
def token_revoke(
    ctx: typer.Context, token_id: Annotated[int, typer.Argument(help="The token's id.")]
) -> None:
    """Revoke a token: it stops working at once."""
    revoke_token(workspace_of(ctx), context_of(ctx), token_id)
    err.print(f"revoked token {token_id}", highlight=False)


@token_app.command("list")
@handled
def token_list(ctx: typer.Context) -> None:
    """Every token (never the token itself): user, scopes, label, status."""
    context = context_of(ctx)
    table = Table("id", "user", "scopes", "label", "created", "status")
    for token in list_tokens(workspace_of(ctx), context):
        table.add_row(
            str(token.token_id),
            token.user_name,
            token.scopes,
            token.label or "",
            str(token.created_at),
            token_status(token, context.now()),
        )
    console().print(table)
