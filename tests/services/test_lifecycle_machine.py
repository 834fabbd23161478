"""The plan lifecycle as a hypothesis state machine: random clones, updates, activations, schedules,
ticks, overrides, holds, imports, roster changes (reps joining, leaving and moving, today or on a
later day that tick applies, and reps set inactive by an import) and `notify` sending e-mail to a
real SMTP server on loopback. After every step the live assignment is live(...) computed from
scratch, the change log replays to it, the audit chain verifies with one entry per change set, the
outbox holds exactly the items the change log calls for, and no e-mail was received twice."""

from __future__ import annotations

import json
import os
import tempfile
from collections import Counter
from contextlib import ExitStack, suppress
from datetime import date, datetime, timedelta
from pathlib import Path

import polars as pl
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, initialize, invariant, multiple, rule
from live_oracle import placed, places_from_scratch, replayed, stored_places
from receivers import smtp_server
from workspace_books import ACCOUNTS, PLAN, REPS

from conftest import examples
from fake_workspace import FakeWorkspace
from territorial.channels.compose import MESSAGE_ID_DOMAIN
from territorial.domain.audit import PLAN_EDIT
from territorial.domain.entities import Entity
from territorial.domain.notifications import Channel, ItemState, MessageState
from territorial.domain.plan import PRIMARY
from territorial.engine.live import PREVIOUS_COLUMNS
from territorial.errors import BadInput
from territorial.services.activation import activate_plan, tick
from territorial.services.audit import verify_chain
from territorial.services.context import Context
from territorial.services.imports import import_records
from territorial.services.notify import notify
from territorial.services.overrides import add_hold, add_override, remove_hold, remove_override
from territorial.services.pins import pools_of
from territorial.services.plan_states import clone_plan, update_plan
from territorial.services.plans import add_plan, stored_plan
from territorial.services.roster import add_rep, leave_rep, move_rep
from territorial.services.unit_of_work import WorkspaceStore
from territorial.store.workspace import init_workspace

# Plans the machine stores and updates drafts with: pools of several reps, a vacant territory
# (ghost is inactive), a catch-all, and an overlay layer.
PLANS = [
    PLAN,
    """\
name: Regions with an overlay
workload: employees
territories:
  - id: WEST
    rule: region = 'West'
    reps: [jane, bob]
  - id: EAST
    rule: state IN ('NY', 'MA', 'TX')
    reps: [dee, cy]
  - id: HEALTH
    layer: overlay
    rule: industry = 'Healthcare'
    reps: [bob, dee]
""",
    """\
name: One pool
territories:
  - id: ALL
    reps: [cy, dee, jane]
  - id: BIG
    rule: employees >= 1000
    priority: 1
    reps: [bob]
    manager: cy
""",
]
ACCOUNT_IDS = [f"A-{n}" for n in range(1, 9)]
OWNER = ACCOUNTS.splitlines()[0].split(",").index("owner_id")
REP_IDS = ["jane", "bob", "cy", "dee"]
EMAILS = {line.split(",")[0]: line.split(",")[2] for line in REPS.splitlines()[1:]}
# notify sends e-mail through the machine's SMTP server; nothing else in the environment counts.
SETTINGS = {
    "TERRITORIAL_SMTP_HOST": "127.0.0.1",
    "TERRITORIAL_SMTP_FROM": "ops@example.com",
    "TERRITORIAL_TIME_ZONE": None,
    "TERRITORIAL_DIGEST": None,
    "TERRITORIAL_VACANT_OWNER": None,
    "TERRITORIAL_WEBHOOK_SECRETS": None,
}
# One account as an import gives it: region, state, industry, employees, CRM owner.
ACCOUNT_ROWS = st.tuples(
    st.sampled_from(["West", "East", ""]),
    st.sampled_from(["CA", "NY", "TX", "MA"]),
    st.sampled_from(["Retail", "Healthcare"]),
    st.integers(0, 3000),
    st.sampled_from([*REP_IDS, ""]),
)


class LifecycleMachine(RuleBasedStateMachine):
    """One workspace with the book's accounts and reps; each rule is a step a planner (or the CRM)
    takes. A refused step (BadInput: a plan scheduled already, a day taken, a draft-only edit...)
    changes nothing, and the invariants hold after it as after any other."""

    plans = Bundle("plans")

    def __init__(self) -> None:
        super().__init__()
        self.mail = ExitStack()
        self.mailbox = self.mail.enter_context(smtp_server())
        self.environ = {name: os.environ.get(name) for name in [*SETTINGS, "TERRITORIAL_SMTP_PORT"]}
        for name, value in {**SETTINGS, "TERRITORIAL_SMTP_PORT": str(self.mailbox.port)}.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        self.active = dict.fromkeys(REP_IDS, True)
        self.folder = Path(tempfile.mkdtemp())
        self.store = self.open_store(self.folder)
        self.now = datetime(2026, 3, 2, 9, 0)
        self.accounts = {line.split(",")[0]: line for line in ACCOUNTS.splitlines()[1:]}
        (self.folder / "reps.csv").write_text(REPS)
        (self.folder / "accounts.csv").write_text(ACCOUNTS)
        import_records(self.store, self.ctx, Entity.REPS, self.folder / "reps.csv")
        import_records(self.store, self.ctx, Entity.ACCOUNTS, self.folder / "accounts.csv")

    def open_store(self, folder: Path) -> WorkspaceStore:
        return FakeWorkspace()

    def teardown(self) -> None:
        self.mail.close()
        for name, value in self.environ.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value

    @property
    def ctx(self) -> Context:
        return Context.admin("planner", self.now)

    def _plan_file(self, variant: int) -> Path:
        path = self.folder / f"plan-{variant}.yaml"
        path.write_text(PLANS[variant])
        return path

    @initialize(target=plans, first=st.integers(0, len(PLANS) - 1))
    def add_plans(self, first: int) -> object:
        """The plans stored as drafts, one of them active."""
        added = [add_plan(self.store, self.ctx, self._plan_file(k)) for k in range(len(PLANS))]
        activate_plan(self.store, self.ctx, added[first])
        return multiple(*added)

    # Plans.
    @rule(target=plans, plan=plans)
    def clone(self, plan: int) -> int:
        return clone_plan(self.store, self.ctx, plan)

    @rule(plan=plans, variant=st.integers(0, len(PLANS) - 1))
    def update(self, plan: int, variant: int) -> None:
        with suppress(BadInput):  # not a draft
            update_plan(self.store, self.ctx, plan, self._plan_file(variant))

    @rule(plan=plans)
    def activate(self, plan: int) -> None:
        """Today: a draft, or an archived plan again (undo)."""
        with suppress(BadInput):
            activate_plan(self.store, self.ctx, plan, end_stale_overrides=True)

    @rule(plan=plans, days=st.integers(1, 3))
    def schedule(self, plan: int, days: int) -> None:
        with suppress(BadInput):
            activate_plan(self.store, self.ctx, plan, self.now.date() + timedelta(days=days))

    @rule(days=st.integers(1, 2))
    def days_go_by(self, days: int) -> None:
        """Days go by, and tick applies what came due."""
        self.now += timedelta(days=days)
        tick(self.store, self.ctx)

    # Overrides and holds, on what the active plan has (a refusal is tested elsewhere).
    def _active_places(self) -> tuple[list[tuple[str, str]], dict[str, list[str]], list[str]]:
        """The live (account, layer) rows, the active plan's territories by layer, its roster reps."""
        with self.store.unit_of_work() as uow:
            active = uow.plans.active()
            if active is None:
                return [], {}, []
            plan = stored_plan(uow, active.plan_id)
            reps = sorted(set(uow.roster.current().get_column("rep_id").to_list()))
        territories: dict[str, list[str]] = {}
        for territory in plan.territories:
            territories.setdefault(territory.layer, []).append(territory.id)
        return sorted(stored_places(self.store)), territories, reps

    @rule(data=st.data(), days=st.sampled_from([None, 1, 3]))
    def override(self, data: st.DataObject, days: int | None) -> None:
        places, territories, reps = self._active_places()
        if not places:
            return
        account, layer = data.draw(st.sampled_from(places))
        territory = data.draw(st.sampled_from([None, *territories[layer]]))
        rep = data.draw(st.sampled_from(reps)) if territory is None else None
        until = None if days is None else self.now.date() + timedelta(days=days)
        with suppress(BadInput):  # overridden already, or a pool without reps
            add_override(self.store, self.ctx, account, territory, rep, "a planner's call", layer, until)

    @rule(data=st.data(), days=st.integers(1, 3))
    def hold(self, data: st.DataObject, days: int) -> None:
        places, _territories, _reps = self._active_places()
        if not places:
            return
        account, layer = data.draw(st.sampled_from(places))
        with suppress(BadInput):  # overridden or held already, or no rep to keep
            add_hold(self.store, self.ctx, account, self.now.date() + timedelta(days=days), layer)

    @rule(data=st.data(), hold=st.booleans())
    def release(self, data: st.DataObject, hold: bool) -> None:
        places, _territories, _reps = self._active_places()
        if not places:
            return
        account, layer = data.draw(st.sampled_from(places))
        with suppress(BadInput):  # nothing to release
            (remove_hold if hold else remove_override)(self.store, self.ctx, account, layer)

    # The CRM.
    @rule(
        changed=st.dictionaries(st.sampled_from(ACCOUNT_IDS), ACCOUNT_ROWS, max_size=4),
        dropped=st.sets(st.sampled_from(ACCOUNT_IDS), max_size=1),
    )
    def import_accounts(self, changed: dict[str, tuple[str, str, str, int, str]], dropped: set[str]) -> None:
        """A full sync: changed fields and owners, new accounts, and accounts gone from the export. The
        live rows it leaves are live() run on the whole workspace with the owners the live rows had
        before it, but for a CRM owner moved to another rep of the account's pool: the invariants
        alone would not see a waiting account given to the wrong rep of its pool."""
        with self.store.unit_of_work() as uow:
            before = uow.live.rows(PREVIOUS_COLUMNS)
            pools = pools_of(uow.roster.current())
        crm_owners = {account: line.split(",")[OWNER] for account, line in self.accounts.items()}
        for account, (region, state, industry, employees, owner) in changed.items():
            if account not in dropped:  # a dropped account keeps its stored fields
                fields = (f"{account} Inc", "", industry, employees, state, "", "US", owner, region)
                self.accounts[account] = ",".join([account, *map(str, fields)])
        kept = [line for account, line in sorted(self.accounts.items()) if account not in dropped]
        path = self.folder / "sync.csv"
        path.write_text("\n".join([ACCOUNTS.splitlines()[0], *kept]) + "\n")
        import_records(self.store, self.ctx, Entity.ACCOUNTS, path, full_sync=True)
        moved = {}
        for account, territory, rep in (
            before.filter(pl.col("layer") == PRIMARY)
            .select("account_id", "territory_id", "rep_id")
            .iter_rows()
        ):
            owner = self.accounts[account].split(",")[OWNER] if account in self.accounts else ""
            if owner not in ("", crm_owners.get(account), rep) and owner in pools.get(territory, ()):
                moved[account] = owner
        owners = before.with_columns(
            pl.when((pl.col("layer") == PRIMARY) & pl.col("account_id").is_in(list(moved)))
            .then(pl.col("account_id").replace(moved))
            .otherwise(pl.col("rep_id"))
            .alias("rep_id")
        )
        # An account new or active again had no live row: its owner is the CRM's, as the import
        # gave it (the workspace's owner_id is by now its live rep, which would vouch for itself).
        had = set(before.get_column("account_id").to_list())
        fresh = [a for a in sorted(self.accounts) if a not in had and a not in dropped]
        crm = [self.accounts[a].split(",")[OWNER] or None for a in fresh]
        rows = {"account_id": fresh, "layer": [PRIMARY] * len(fresh), "rep_id": crm}
        owners = pl.concat(
            [
                owners,
                pl.DataFrame(rows)
                .with_columns(*(pl.lit(None).alias(c) for c in ("territory_id", "cause", "since")))
                .select(owners.columns)
                .cast(dict(owners.schema)),
            ]
        )
        if before.height:
            assert stored_places(self.store) == places_from_scratch(self.store, owners)

    @rule(data=st.data())
    def crm_owner_changes(self, data: st.DataObject) -> None:
        """The CRM gives a live account another owner, a roster rep: a manual move within its pool,
        else drift."""
        places, _territories, reps = self._active_places()
        if not places:
            return
        account, _layer = data.draw(st.sampled_from(places))
        line = self.accounts[account].split(",")
        row = (line[9], line[5], line[3], int(line[4] or 0), data.draw(st.sampled_from(reps)))
        self.import_accounts({account: row}, set())

    # The roster: today, or on a later day that tick applies (refused: a rep in the pool already,
    # inactive or in no pool, a territory the plan lacks, or no plan active).
    def _day(self, days: int) -> date | None:
        return None if days == 0 else self.now.date() + timedelta(days=days)

    def _territory(self, data: st.DataObject) -> str | None:
        _places, territories, _reps = self._active_places()
        if not territories:
            return None
        return data.draw(st.sampled_from(sorted(t for ids in territories.values() for t in ids)))

    @rule(data=st.data(), rep=st.sampled_from(REP_IDS), days=st.integers(0, 2))
    def rep_joins(self, data: st.DataObject, rep: str, days: int) -> None:
        territory = self._territory(data)
        if territory is not None:
            with suppress(BadInput):
                add_rep(self.store, self.ctx, rep, territory, self._day(days))

    @rule(rep=st.sampled_from(REP_IDS), days=st.integers(0, 2))
    def rep_leaves(self, rep: str, days: int) -> None:
        with suppress(BadInput):
            leave_rep(self.store, self.ctx, rep, self._day(days))

    @rule(
        data=st.data(),
        rep=st.sampled_from(REP_IDS),
        days=st.integers(0, 2),
        book=st.sampled_from([None, 1, 3]),
    )
    def rep_moves(self, data: st.DataObject, rep: str, days: int, book: int | None) -> None:
        """A move, with holds keeping the rep's book until a day after it, or without."""
        territory = self._territory(data)
        if territory is not None:
            with_book = None if book is None else self.now.date() + timedelta(days=days + book)
            with suppress(BadInput):
                move_rep(self.store, self.ctx, rep, territory, with_book, self._day(days))

    @rule(rep=st.sampled_from(REP_IDS), active=st.booleans())
    def crm_sets_rep_active(self, rep: str, active: bool) -> None:
        """A reps import: a rep set inactive leaves that day; set active again, they stay out of
        the roster (an import never undoes a roster change)."""
        self.active[rep] = active
        header, *lines = REPS.splitlines()
        at = header.split(",").index("active")
        rows = []
        for line in lines:
            values = line.split(",")
            if values[0] in self.active:
                values[at] = "true" if self.active[values[0]] else "false"
            rows.append(",".join(values))
        path = self.folder / "reps-sync.csv"
        path.write_text("\n".join([header, *rows]) + "\n")
        import_records(self.store, self.ctx, Entity.REPS, path)

    # Telling reps: what is due now sent to the SMTP server on loopback.
    @rule()
    def send_notices(self) -> None:
        notify(self.store, self.ctx)

    # What holds after every step.
    @invariant()
    def live_is_live_computed_from_scratch(self) -> None:
        assert stored_places(self.store) == places_from_scratch(self.store)

    @invariant()
    def change_log_replays_to_the_live_assignment(self) -> None:
        assert replayed(self.store) == placed(stored_places(self.store))

    @invariant()
    def audit_chain_verifies_with_one_entry_per_change_set(self) -> None:
        verified = verify_chain(self.store)
        assert verified.broken is None, verified.broken
        with self.store.unit_of_work() as uow:
            entries = uow.audit.entries()
            change_sets = [s.change_set_id for s in uow.changes.sets()]
        fields = [json.loads(entry.text) for entry in entries]
        assert [entry.seq for entry in entries] == list(range(1, len(entries) + 1))
        chained = [int(f["change_set_id"]) for f in fields if f["kind"] != PLAN_EDIT]
        assert chained == change_sets

    @invariant()
    def outbox_holds_what_the_change_log_calls_for(self) -> None:
        """One e-mail item for each change set and rep it moved a row from or to, to that rep's
        address, and nothing else; an item bundled goes in a message to that address."""
        with self.store.unit_of_work() as uow:
            rows = uow.changes.rows()
            items = uow.outbox.items()
            messages = {m.message_id: m for m in uow.outbox.messages()}
        touched = {
            (row["change_set_id"], rep)
            for row in rows.iter_rows(named=True)
            for rep in (row["from_rep_id"], row["to_rep_id"])
            if rep is not None
        }
        assert Counter((i.change_set_id, i.rep_id) for i in items) == Counter(touched)
        for item in items:
            assert (item.channel, item.recipient, item.destination) == (
                Channel.EMAIL,
                item.rep_id,
                EMAILS[item.rep_id],
            )
            assert (item.state is ItemState.BUNDLED) == (item.message_id is not None)
            if item.message_id is not None:
                assert messages[item.message_id].destination == item.destination

    @invariant()
    def every_message_sent_arrived_once_and_none_twice(self) -> None:
        with self.store.unit_of_work() as uow:
            messages = uow.outbox.messages()
        received = [(rcpts, message["Message-ID"]) for rcpts, message in self.mailbox.received]
        sent = [
            ([m.destination], f"<{m.key}@{MESSAGE_ID_DOMAIN}>")
            for m in messages
            if m.state is MessageState.SENT
        ]
        assert sorted(received) == sorted(sent)
        assert len({key for _rcpts, key in received}) == len(received)
        assert {m.state for m in messages} <= {MessageState.PENDING, MessageState.SENT}


class SQLiteLifecycleMachine(LifecycleMachine):
    """The same steps on a real SQLite workspace."""

    def open_store(self, folder: Path) -> WorkspaceStore:
        return init_workspace(f"sqlite:///{folder / 'workspace.db'}")

    def teardown(self) -> None:
        self.store.engine.dispose()  # type: ignore[attr-defined]
        super().teardown()


TestLifecycleOnTheFake = LifecycleMachine.TestCase
TestLifecycleOnTheFake.settings = settings(max_examples=examples(6, 200), stateful_step_count=10)
TestLifecycleOnSQLite = SQLiteLifecycleMachine.TestCase
TestLifecycleOnSQLite.settings = settings(max_examples=examples(1, 50), stateful_step_count=8)


def test_a_reactivated_held_account_goes_to_its_overlay_pool_from_its_crm_owner() -> None:
    """Found by the full profile, pinned: A-6, held in WEST to bob, dropped from the CRM's export
    and back again, waits in HEALTH's pool (its CRM owner cy is not in it) and goes to the least
    loaded rep there, dee, as live() run on the whole workspace gives it."""
    machine = LifecycleMachine()
    try:
        machine.add_plans(first=1)
        machine.rep_leaves(rep="jane", days=0)
        machine.days_go_by(days=1)
        add_hold(machine.store, machine.ctx, "A-6", machine.now.date() + timedelta(days=2))
        machine.import_accounts({"A-6": ("East", "CA", "Healthcare", 3000, "cy")}, set())
        machine.import_accounts({"A-8": ("East", "NY", "Healthcare", 1435, "dee")}, {"A-6"})
        machine.import_accounts({}, {"A-8"})
        assert stored_places(machine.store)[("A-6", "overlay")] == ("HEALTH", "dee")
        machine.live_is_live_computed_from_scratch()
        machine.outbox_holds_what_the_change_log_calls_for()
    finally:
        machine.teardown()
