"""Who is told what changed, where and how often: a rep's own digest and e-mail, a manager's team
digest, webhook subscriptions. Nobody's changes go to a shared place unless a subscription says so."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from urllib.parse import urlsplit

from territorial.domain.notifications import Channel, Digest, StoredSubscription, WebhookFormat
from territorial.errors import BadInput
from territorial.services.context import Context
from territorial.services.outbox import readdress_waiting
from territorial.services.settings import load_settings
from territorial.services.unit_of_work import UnitOfWork, WorkspaceStore

# Every change to who is told, and `notify`'s writes: one at a time.
LOCK = "notify"


# One address: no spaces, commas or angle brackets, which would name more (or other) recipients.
ADDRESS = re.compile(r"[^@\s,;<>]+@[^@\s,;<>]+")


def _address(text: str, option: str) -> str:
    address = text.strip()
    if not ADDRESS.fullmatch(address):
        raise BadInput.at(f"not an e-mail address: {text!r} (expected such as jane@example.com)", option)
    return address


def _reps(uow: UnitOfWork) -> dict[str, str | None]:
    """Each workspace rep's manager."""
    return {rep.rep_id: rep.manager_id for rep in uow.reps.list()}


def set_preference(
    workspace: WorkspaceStore, ctx: Context, rep_id: str, digest: Digest | None, email: str | None
) -> StoredSubscription:
    """A rep's own digest and e-mail address (what is not given stays as it was: the settings'
    digest, the rep's `email`). Items left unaddressed for want of an address get this one."""
    address = None if email is None else _address(email, "--email")
    with workspace.unit_of_work(write=True, lock=LOCK) as uow:
        if rep_id not in _reps(uow):
            raise BadInput.at(f"no rep {rep_id!r} in the workspace", "--rep")
        old = next((s for s in uow.subscriptions.in_force() if s.rep_id == rep_id), None)
        if old is not None:
            uow.subscriptions.end(old.subscription_id, ctx.now())
        kept = old or StoredSubscription(0, Channel.EMAIL, load_settings().digest, ctx.now(), rep_id=rep_id)
        new = replace(
            kept,
            digest=digest or kept.digest,
            destination=address or kept.destination,
            created_at=ctx.now(),
            actor=ctx.actor,
        )
        subscription_id = uow.subscriptions.add(new)
        readdress_waiting(uow)
    return replace(new, subscription_id=subscription_id)


def subscribe_team(
    workspace: WorkspaceStore, ctx: Context, manager: str, email: str | None, digest: Digest | None
) -> int:
    """A manager's digest of their team's changes (the reps whose manager_id is theirs), to `email`,
    else to the manager's own address as a rep."""
    with workspace.unit_of_work(write=True, lock=LOCK) as uow:
        reps = _reps(uow)
        if manager not in reps.values():
            raise BadInput.at(f"no rep has manager_id {manager!r}: the team is empty", "--team")
        if email is None:
            own = next((rep.email for rep in uow.reps.list() if rep.rep_id == manager), None)
            if not own:
                raise BadInput.at(f"{manager} has no e-mail address among the reps: give --email", "--email")
            email = own
        address = _address(email, "--email")
        subscription = StoredSubscription(
            0,
            Channel.EMAIL,
            digest or load_settings().digest,
            ctx.now(),
            ctx.actor,
            team=manager,
            destination=address,
        )
        return uow.subscriptions.add(subscription)


def add_webhook(
    workspace: WorkspaceStore,
    ctx: Context,
    url: str,
    reps: Sequence[str],
    team: str | None,
    format: WebhookFormat,
    secret: str | None,
) -> int:
    """A webhook subscription for some reps or a manager's team: immediate, Slack-compatible or JSON
    (signed with the named secret of the settings; JSON needs one)."""
    if not _web_address(url):
        raise BadInput.at(f"expected an http:// or https:// URL, got {url!r}", "URL")
    if bool(reps) == (team is not None):
        raise BadInput.at(
            "give the reps it covers (--reps) or a manager's team (--team), one of them", "--reps"
        )
    if format is WebhookFormat.JSON and secret is None:
        raise BadInput.at(
            "a JSON webhook is signed: name its secret (webhook_secrets in the settings)", "--secret"
        )
    if secret is not None and secret not in load_settings().webhook_secrets:
        raise BadInput.at(
            f"no webhook secret named {secret!r} in the settings "
            "([webhook_secrets] in territorial.toml, or TERRITORIAL_WEBHOOK_SECRETS as JSON)",
            "--secret",
        )
    with workspace.unit_of_work(write=True, lock=LOCK) as uow:
        known = _reps(uow)
        unknown = sorted(set(reps) - set(known))
        if unknown:
            raise BadInput.at(f"no such reps in the workspace: {', '.join(unknown)}", "--reps")
        if team is not None and team not in known.values():
            raise BadInput.at(f"no rep has manager_id {team!r}: the team is empty", "--team")
        subscription = StoredSubscription(
            0,
            Channel.WEBHOOK,
            Digest.IMMEDIATE,
            ctx.now(),
            ctx.actor,
            team=team,
            reps=tuple(sorted(set(reps))),
            destination=url,
            format=format,
            secret=secret,
        )
        return uow.subscriptions.add(subscription)


def _web_address(url: str) -> bool:
    try:
        parts = urlsplit(url)
        return (
            parts.scheme in ("http", "https") and bool(parts.hostname) and not any(c.isspace() for c in url)
        )
    except ValueError:  # such as an unclosed [IPv6 address
        return False


def list_subscriptions(workspace: WorkspaceStore, channel: Channel | None = None) -> list[StoredSubscription]:
    with workspace.unit_of_work() as uow:
        return [s for s in uow.subscriptions.in_force() if channel is None or s.channel is channel]


def end_subscription(workspace: WorkspaceStore, ctx: Context, subscription_id: int, channel: Channel) -> None:
    """End a subscription of a channel: what it would have been told from now on is not written."""
    with workspace.unit_of_work(write=True, lock=LOCK) as uow:
        found = [s for s in uow.subscriptions.in_force() if s.subscription_id == subscription_id]
        if not found or found[0].channel is not channel or found[0].rep_id is not None:
            raise BadInput.at(f"no {channel.value} subscription {subscription_id}", "ID")
        uow.subscriptions.end(subscription_id, ctx.now())
