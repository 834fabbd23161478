"""`territorial user add|list|disable` and `territorial token create|revoke|list`: who may use the API."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.table import Table

from territorial.cli.app import console, context_of, err, group, handled, workspace_of
from territorial.services.sign_in import check_password, set_password
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
PasswordStdin = Annotated[
    bool,
    typer.Option("--password-stdin", help="Read the web password from standard input (its first line)."),
]
AskPassword = Annotated[
    bool, typer.Option("--password", help="Ask for a web password at a prompt (typed twice, not shown).")
]


def read_password(from_stdin: bool) -> str:
    """The password from standard input's first line or from a hidden prompt: never from the command
    line, where it would sit in the shell's history and in every process listing."""
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        return check_password(password, "--password-stdin")
    password = typer.prompt("Password", hide_input=True, confirmation_prompt=True, err=True)
    return check_password(str(password), "--password")


@user_app.command("add")
@handled
def user_add(
    ctx: typer.Context,
    user_name: UserName,
    role: Annotated[str, typer.Option("--role", help="admin, planner, manager, rep or integration.")],
    rep: Annotated[
        str | None, typer.Option("--rep", help="The workspace rep a manager or a rep is (their rows).")
    ] = None,
    password_stdin: PasswordStdin = False,
    ask_password: AskPassword = False,
) -> None:
    """Add a user. A manager sees their team's rows, a rep their own: both name their rep. With a
    password (--password-stdin or --password) they can sign in to the web app too."""
    # Read (and check) the password first: a bad one then adds no user.
    password = read_password(password_stdin) if password_stdin or ask_password else None
    workspace, context = workspace_of(ctx), context_of(ctx)
    added = add_user(workspace, context, user_name, role_named(role), rep)
    if password is not None:
        set_password(workspace, context, added.user_name, password)
    signs_in = ", may sign in to the web app" if password is not None else ""
    err.print(f"added {added.user_name} ({added.role}){signs_in}", highlight=False)


@user_app.command("password")
@handled
def user_password(ctx: typer.Context, user_name: UserName, password_stdin: PasswordStdin = False) -> None:
    """Set a user's web password (asked at a prompt unless --password-stdin); their web sessions end."""
    password = read_password(password_stdin)
    set_password(workspace_of(ctx), context_of(ctx), user_name, password)
    err.print(f"set the password of {user_name}; their open web sessions have ended", highlight=False)


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
