"""Writing the outbox with each change of the live assignment: one item per change set, affected rep
and recipient (the rep's own e-mail, a manager's team digest, a webhook), due when its digest is."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import polars as pl

from territorial.domain.notifications import Channel, Digest, ItemState, OutboxItem
from territorial.services.settings import load_settings
from territorial.services.unit_of_work import UnitOfWork


def due_at(at: datetime, digest: Digest, zone: ZoneInfo) -> datetime:
    """When a change made at `at` (this machine's local time, as the workspace keeps times) is due:
    at once, from 00:00 the next day, or from 00:00 the next Monday, in the workspace's time zone."""
    if digest is Digest.IMMEDIATE:
        return at
    day = at.astimezone(zone).date()
    ahead = 1 if digest is Digest.DAILY else 7 - day.weekday()
    start = datetime.combine(day + timedelta(days=ahead), time(), tzinfo=zone)
    return start.astimezone().replace(tzinfo=None)


def enqueue_notices(uow: UnitOfWork, change_set_id: int, at: datetime, changed: pl.DataFrame) -> int:
    """The outbox items a change set makes, in its transaction: for each rep who gained or lost a row,
    their own e-mail (no address: unaddressed, listed by `notify --failed`) and each subscription
    covering them. How many items were written."""
    # Unique in polars first: an activation may change a million rows among a few thousand reps.
    both = pl.concat([changed.get_column("from_rep_id"), changed.get_column("to_rep_id")])
    touched = sorted(both.drop_nulls().unique().to_list())
    if not touched:
        return 0
    settings = load_settings()
    reps = {rep.rep_id: rep for rep in uow.reps.list()}
    subscriptions = uow.subscriptions.in_force()
    own = {s.rep_id: s for s in subscriptions if s.rep_id is not None}
    addresses = own_addresses(uow)
    items = []
    for rep_id in touched:
        rep = reps.get(rep_id)
        preference = own.get(rep_id)
        digest = settings.digest if preference is None else preference.digest
        address = addresses.get(rep_id)
        state = ItemState.PENDING if address else ItemState.UNADDRESSED
        due = due_at(at, digest, settings.zone)
        items.append(OutboxItem(change_set_id, rep_id, rep_id, Channel.EMAIL, address, digest, due, state))
        manager = None if rep is None else rep.manager_id
        for sub in subscriptions:
            if sub.rep_id is None and sub.covers(rep_id, manager):
                recipient = f"subscription:{sub.subscription_id}"
                due = due_at(at, sub.digest, settings.zone)
                items.append(
                    OutboxItem(
                        change_set_id,
                        rep_id,
                        recipient,
                        sub.channel,
                        sub.destination,
                        sub.digest,
                        due,
                        ItemState.PENDING,
                    )
                )
    uow.outbox.enqueue(items)
    return len(items)


def own_addresses(uow: UnitOfWork) -> dict[str, str]:
    """Where each rep's own digest goes: the address of their preference, else their `email`."""
    found = {rep.rep_id: rep.email for rep in uow.reps.list() if rep.email}
    for subscription in uow.subscriptions.in_force():
        if subscription.rep_id is not None and subscription.destination:
            found[subscription.rep_id] = subscription.destination
    return found


def readdress_waiting(uow: UnitOfWork) -> None:
    """Items that waited for want of an address, given the one their rep has now (a preference, or a
    reps import that brought an `email`): pending again."""
    waiting = uow.outbox.items(ItemState.UNADDRESSED)
    if not waiting:
        return
    addresses = own_addresses(uow)
    by_address: dict[str, list[int]] = {}
    for item in waiting:
        if item.rep_id in addresses:
            by_address.setdefault(addresses[item.rep_id], []).append(item.item_id)
    for address, item_ids in sorted(by_address.items()):
        uow.outbox.readdress(item_ids, address)
