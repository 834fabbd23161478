"""`territorial feed`, `territorial notify` and `territorial webhook`: telling reps what changed for
them, by e-mail digests and webhook subscriptions, at most once."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from territorial.cli.app import (
    HELP_OPTIONS,
    app,
    console,
    context_of,
    day_of,
    err,
    group,
    handled,
    workspace_of,
)
from territorial.cli.overrides import listing
from territorial.domain.notifications import Channel, Digest, WebhookFormat
from territorial.errors import BadInput
from territorial.services.feed import rep_feed
from territorial.services.notify import failures, notify, resend
from territorial.services.subscriptions import (
    add_webhook,
    end_subscription,
    list_subscriptions,
    set_preference,
    subscribe_team,
)
from territorial.services.unit_of_work import WorkspaceStore

notify_app = typer.Typer(
    invoke_without_command=True,
    help="Send the outbox (what changed, to each rep and subscription) at most once; set digests.",
    context_settings=HELP_OPTIONS,
)
app.add_typer(notify_app, name="notify")
webhook_app = group("webhook", "Webhook subscriptions: the reps or team whose changes go to a URL.")

DigestOption = Annotated[
    Digest | None,
    typer.Option("--digest", help="immediate, daily (the default) or weekly.", case_sensitive=False),
]


@app.command("feed")
@handled
def feed(
    ctx: typer.Context,
    rep: Annotated[str, typer.Option("--rep", help="The rep whose feed to show.")],
    since: Annotated[
        str | None, typer.Option("--since", help="YYYY-MM-DD: changes effective from then.")
    ] = None,
) -> None:
    """What changed for a rep, in plain words, from the change log; scheduled activations as planned."""
    entries = rep_feed(workspace_of(ctx), context_of(ctx), rep, day_of(since, "--since"))
    if not entries:
        err.print(f"nothing changed for {escape(rep)}", highlight=False)
    for entry in entries:
        console().print(escape(entry.text), highlight=False, soft_wrap=True)


@notify_app.callback()
@handled
def notify_command(
    ctx: typer.Context,
    failed: Annotated[
        bool,
        typer.Option("--failed", help="List what may not have arrived, and reps without an e-mail address."),
    ] = False,
    resend_id: Annotated[
        int | None,
        typer.Option("--resend", help="Send an unknown or failed message again, with the same key."),
    ] = None,
) -> None:
    """Send what is due: each recipient's due changes as one message, each message at most once."""
    if ctx.invoked_subcommand is not None:
        return
    if failed and resend_id is not None:
        raise BadInput.at("give --failed (list) or --resend ID (send again), not both", "--resend")
    workspace = workspace_of(ctx)
    if failed:
        _failures(workspace)
        return
    if resend_id is not None:
        tried = resend(workspace, context_of(ctx), resend_id)
        why = f": {tried.last_error}" if tried.last_error else ""
        err.print(f"message {resend_id}: {tried.state.value}{escape(why)}", highlight=False)
        return
    done = notify(workspace, context_of(ctx))
    err.print(
        f"{len(done.sent)} sent, {len(done.retrying)} to retry, {len(done.failed)} failed"
        + (f"; {len(done.unknown)} cut short earlier, now unknown (notify --failed)" if done.unknown else ""),
        highlight=False,
    )


def _failures(workspace: WorkspaceStore) -> None:
    found = failures(workspace)
    rows = [
        (m.message_id, m.state.value, m.recipient, m.channel.value, m.destination, m.attempts, m.last_error)
        for m in found.messages
    ]
    if rows:
        listing(
            "Messages not known to have arrived",
            ["id", "state", "for", "channel", "to", "tries", "why"],
            rows,
        )
    for rep_id, count in found.unaddressed.items():
        console().print(
            f"{escape(rep_id)} has no e-mail address: {count} change(s) wait "
            f"(territorial notify prefs --rep {escape(rep_id)} --email ADDRESS)",
            highlight=False,
        )
    if not rows and not found.unaddressed:
        console().print("nothing failed")


@notify_app.command("prefs")
@handled
def prefs(
    ctx: typer.Context,
    rep: Annotated[str | None, typer.Option("--rep", help="The rep whose digest to set.")] = None,
    digest: DigestOption = None,
    email: Annotated[
        str | None, typer.Option("--email", help="Where the rep's digest goes (default their email).")
    ] = None,
) -> None:
    """Set a rep's digest and e-mail address; without --rep, list the preferences and team digests."""
    workspace = workspace_of(ctx)
    if rep is None and (digest is not None or email is not None):
        raise BadInput.at("name the rep whose digest to set", "--rep")
    if rep is None:
        rows = [
            (
                s.subscription_id,
                s.rep_id or f"team of {s.team}",
                s.digest.value,
                s.destination or "(rep's email)",
            )
            for s in list_subscriptions(workspace, Channel.EMAIL)
        ]
        listing("E-mail digests", ["id", "for", "digest", "to"], rows)
        return
    done = set_preference(workspace, context_of(ctx), rep, digest, email)
    to = done.destination or "their email"
    err.print(f"{escape(rep)}: {done.digest.value} digest to {escape(to)}", highlight=False)


@notify_app.command("subscribe")
@handled
def subscribe(
    ctx: typer.Context,
    team: Annotated[
        str, typer.Option("--team", help="The manager: their team is the reps whose manager_id is theirs.")
    ],
    email: Annotated[
        str | None, typer.Option("--email", help="Where it goes (default the manager's email).")
    ] = None,
    digest: DigestOption = None,
) -> None:
    """A manager's digest of their team's changes."""
    subscription_id = subscribe_team(workspace_of(ctx), context_of(ctx), team, email, digest)
    err.print(f"team digest {subscription_id} for {escape(team)}'s team", highlight=False)


@notify_app.command("unsubscribe")
@handled
def unsubscribe(ctx: typer.Context, subscription_id: Annotated[int, typer.Argument(metavar="ID")]) -> None:
    """End a team digest (`notify prefs` lists them)."""
    end_subscription(workspace_of(ctx), context_of(ctx), subscription_id, Channel.EMAIL)
    err.print(f"team digest {subscription_id} ended", highlight=False)


@webhook_app.command("add")
@handled
def webhook_add(
    ctx: typer.Context,
    url: Annotated[str, typer.Argument(metavar="URL", help="Where to POST.")],
    reps: Annotated[str | None, typer.Option("--reps", help="The reps it covers, comma-separated.")] = None,
    team: Annotated[str | None, typer.Option("--team", help="A manager: it covers their team.")] = None,
    format: Annotated[
        WebhookFormat, typer.Option("--format", help="slack or json (signed).", case_sensitive=False)
    ] = WebhookFormat.SLACK,
    secret: Annotated[
        str | None, typer.Option("--secret", help="The name of a secret in the settings' webhook_secrets.")
    ] = None,
) -> None:
    """Send the changes of some reps, or of a manager's team, to a URL as they happen."""
    named = [r.strip() for r in (reps or "").split(",") if r.strip()]
    subscription_id = add_webhook(workspace_of(ctx), context_of(ctx), url, named, team, format, secret)
    err.print(f"webhook {subscription_id} added", highlight=False)


@webhook_app.command("list")
@handled
def webhook_list(ctx: typer.Context) -> None:
    """The webhook subscriptions in force."""
    rows = [
        (s.subscription_id, s.destination, ", ".join(s.reps) or f"team of {s.team}", s.format, s.secret)
        for s in list_subscriptions(workspace_of(ctx), Channel.WEBHOOK)
    ]
    listing("Webhooks", ["id", "url", "covers", "format", "secret"], rows)


@webhook_app.command("remove")
@handled
def webhook_remove(ctx: typer.Context, subscription_id: Annotated[int, typer.Argument(metavar="ID")]) -> None:
    """End a webhook subscription."""
    end_subscription(workspace_of(ctx), context_of(ctx), subscription_id, Channel.WEBHOOK)
    err.print(f"webhook {subscription_id} removed", highlight=False)
