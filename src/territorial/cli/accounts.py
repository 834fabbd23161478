"""The workspace's accounts: `account find`."""

from __future__ import annotations

from typing import Annotated

import typer

from territorial.cli import render
from territorial.cli.app import console, group, handled, workspace_of
from territorial.services.workspace import find_accounts

account_app = group("account", "The workspace's accounts.")


@account_app.command("find")
@handled
def account_find(
    ctx: typer.Context,
    text: Annotated[str, typer.Argument(help="Part of a name or a domain, e.g. acme.com.")],
) -> None:
    """Active accounts whose name or website holds TEXT (ignoring case): id, name, website, owner."""
    render.found_accounts(console(), find_accounts(workspace_of(ctx), text), text)
