"""The plan lifecycle as a hypothesis state machine: random clones, updates, activations, schedules,
ticks, overrides, holds and imports; after every step the live assignment is live(...) computed from
scratch and the change log replays to it. More steps and invariants are added as rules."""

from __future__ import annotations

import tempfile
from contextlib import suppress
from datetime import datetime, timedelta
from pathlib import Path

import polars as pl
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, initialize, invariant, multiple, rule
from live_oracle import placed, places_from_scratch, replayed, stored_places
from workspace_books import ACCOUNTS, PLAN, REPS

from conftest import examples
from fake_workspace import FakeWorkspace
from territorial.domain.entities import Entity
from territorial.domain.plan import PRIMARY
from territorial.engine.live import PREVIOUS_COLUMNS
from territorial.errors import BadInput
from territorial.services.activation import activate_plan, tick
from territorial.services.context import Context
from territorial.services.imports import import_records
from territorial.services.overrides import add_hold, add_override, remove_hold, remove_override
from territorial.services.pins import pools_of
from territorial.services.plan_states import clone_plan, update_plan
from territorial.services.plans import add_plan, stored_plan
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
""",
]
ACCOUNT_IDS = [f"A-{n}" for n in range(1, 9)]
OWNER = ACCOUNTS.splitlines()[0].split(",").index("owner_id")
REP_IDS = ["jane", "bob", "cy", "dee"]
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
            update_plan(self.store, plan, self._plan_file(variant))

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

    # What holds after every step.
    @invariant()
    def live_is_live_computed_from_scratch(self) -> None:
        assert stored_places(self.store) == places_from_scratch(self.store)

    @invariant()
    def change_log_replays_to_the_live_assignment(self) -> None:
        assert replayed(self.store) == placed(stored_places(self.store))


class SQLiteLifecycleMachine(LifecycleMachine):
    """The same steps on a real SQLite workspace."""

    def open_store(self, folder: Path) -> WorkspaceStore:
        return init_workspace(f"sqlite:///{folder / 'workspace.db'}")

    def teardown(self) -> None:
        self.store.engine.dispose()  # type: ignore[attr-defined]


TestLifecycleOnTheFake = LifecycleMachine.TestCase
TestLifecycleOnTheFake.settings = settings(max_examples=examples(6, 200), stateful_step_count=10)
TestLifecycleOnSQLite = SQLiteLifecycleMachine.TestCase
TestLifecycleOnSQLite.settings = settings(max_examples=examples(1, 50), stateful_step_count=8)
