"""Opening a workspace, and what every use case reads from it: the accounts and the reps."""

from __future__ import annotations

import os
from collections.abc import Sequence
from contextlib import AbstractContextManager

import polars as pl

from territorial.domain.book import AccountBook
from territorial.domain.entities import ACCOUNTS, Entity
from territorial.domain.fields import ACCOUNT_ID, DEFAULT_NULLS, OWNER_ID, FieldType, NullWords
from territorial.domain.opportunities import STATE_TYPES, is_closed
from territorial.domain.plan import PRIMARY, Plan
from territorial.errors import BadInput
from territorial.io.accounts import type_accounts
from territorial.io.tables import RawTable
from territorial.rules.ast import fields_of
from territorial.rules.to_polars import POLARS_TYPES
from territorial.services.unit_of_work import UnitOfWork, WorkspaceStore
from territorial.store.workspace import URL_VARIABLE, Workspace, init_workspace, open_workspace

ACCOUNTS_SOURCE = "workspace accounts"


def load_accounts(
    uow: UnitOfWork, declared: dict[str, FieldType], null_words: NullWords = DEFAULT_NULLS
) -> AccountBook:
    """The workspace's active accounts as an account book: core fields typed, custom fields
    typed as an accounts file's columns would be, with the plan's null words read as empty. While a
    plan is active, an account's owner_id is its primary-layer live rep (the CRM's owner_id only
    seeds the first activation)."""
    schema = {name: POLARS_TYPES[ftype] for name, ftype in ACCOUNTS.fields.items()}
    frame = with_live_owners(uow, uow.records.read(Entity.ACCOUNTS, schema, active_only=True))
    core = {name: ftype for name, ftype in ACCOUNTS.fields.items()}
    return type_accounts(
        RawTable(frame, ACCOUNTS_SOURCE, is_csv=False, header=frame.columns),
        {**core, **declared},
        null_words=null_words,
    )


def load_some_accounts(uow: UnitOfWork, plan: Plan, account_ids: Sequence[str]) -> AccountBook:
    """Some active accounts as load_accounts types them for `plan`: the core fields and the custom
    fields the plan reads, each custom one typed as every account would type it (not as the few
    read would). Their owner_id is the CRM's: the caller reads owners from the live rows. An import
    re-evaluating 10,000 accounts of a million read them all in 33 s."""
    read = {name for t in plan.territories if t.rule is not None for name in fields_of(t.rule)}
    read |= {name for name in (plan.workload, plan.potential and plan.potential.field) if name}
    custom = sorted(name for name in read if name not in ACCOUNTS.fields)
    declared = dict(plan.fields)
    if any(name not in declared for name in custom):
        # Inferred from every account's values (0.2 s a field on 200,000 accounts), as a whole book is.
        _count, types = account_fields(uow, plan)
        custom = [name for name in custom if name in declared or name in types]
        declared.update({name: types[name] for name in custom if name not in declared})
    schema = {name: POLARS_TYPES[ftype] for name, ftype in ACCOUNTS.fields.items()}
    frame = uow.records.some_fields(Entity.ACCOUNTS, schema, custom, active_only=True, ids=account_ids)
    return type_accounts(
        RawTable(frame, ACCOUNTS_SOURCE, is_csv=False, header=frame.columns),
        {**ACCOUNTS.fields, **declared},
        null_words=plan.null_words,
    )


def account_fields(uow: UnitOfWork, plan: Plan) -> tuple[int, dict[str, FieldType]]:
    """How many active accounts the workspace holds, and their fields' types as load_accounts types
    them, to check `plan` against. Only what decides a type is read: the field names, and the
    distinct values of a custom field the plan reads without declaring it, or declares other than
    as text (they must fit), and the values of a core field declared other than as stored. On
    200,000 accounts `plan add` read every account instead."""
    count = uow.records.count(Entity.ACCOUNTS, active_only=True)
    custom = uow.records.custom_fields(Entity.ACCOUNTS, active_only=True)
    schema = {**ACCOUNTS.fields, **dict.fromkeys(custom, FieldType.STRING)}
    declared = {name: ftype for name, ftype in plan.fields.items() if name in schema}
    schema.update(declared)
    if not count:
        return count, schema
    read = {name for t in plan.territories if t.rule is not None for name in fields_of(t.rule)}
    read |= {name for name in (plan.workload, plan.potential and plan.potential.field) if name}
    types = {**ACCOUNTS.fields, **declared}
    core = {
        name: POLARS_TYPES[ACCOUNTS.fields[name]]
        for name, ftype in declared.items()
        if name in ACCOUNTS.fields and ftype is not ACCOUNTS.fields[name]
    }
    # Custom fields are stored as text: a type other than string is inferred from, or checked on, them.
    inferred = read - set(declared)
    checked = {name for name, ftype in declared.items() if ftype is not FieldType.STRING}
    misfits: list[str] = []
    for name in [name for name in custom if name in inferred | checked]:
        values = uow.records.distinct_custom_values(Entity.ACCOUNTS, name, active_only=True)
        ids = pl.Series("account_id", range(len(values))).cast(pl.String)
        try:
            schema.update(_typed(pl.DataFrame([ids, pl.Series(name, values, pl.String)]), types, plan))
        except BadInput:  # reported as reading every account reports it, with the account's row
            misfits.append(name)
    if core or misfits:
        frame = uow.records.some_fields(Entity.ACCOUNTS, {"account_id": pl.String(), **core}, misfits, True)
        schema.update(_typed(frame, types, plan))
    return count, schema


def _typed(frame: pl.DataFrame, types: dict[str, FieldType], plan: Plan) -> dict[str, FieldType]:
    raw = RawTable(frame, ACCOUNTS_SOURCE, is_csv=False, header=frame.columns)
    return type_accounts(raw, types, null_words=plan.null_words).schema


# Up to this many accounts, their live rows are read by id rather than the whole layer.
FEW_ACCOUNTS = 10_000


def with_live_owners(uow: UnitOfWork, frame: pl.DataFrame) -> pl.DataFrame:
    """Accounts whose owner is their primary live rep; those with no live row yet (imported since
    the activation) keep the CRM's owner_id until they are placed."""
    if uow.plans.active_id() is None:
        return frame
    if frame.height <= FEW_ACCOUNTS:  # a page, an import's few: read their live rows only
        ids = frame.get_column(ACCOUNT_ID).to_list()
        mine = uow.live.rows_of(ids, ["account_id", "layer", "rep_id"]).filter(pl.col("layer") == PRIMARY)
    else:
        mine = uow.live.reps_in(PRIMARY)
    live = mine.select(ACCOUNT_ID, pl.col("rep_id").alias("_live_rep"), pl.lit(True).alias("_live"))
    joined = frame.join(live, on=ACCOUNT_ID, how="left", maintain_order="left")
    owner = pl.when(pl.col("_live")).then(pl.col("_live_rep")).otherwise(pl.col(OWNER_ID))
    return joined.with_columns(owner.alias(OWNER_ID)).drop("_live_rep", "_live")


def open_pipeline(uow: UnitOfWork) -> pl.DataFrame | None:
    """account_id, value: the amount of each account's open opportunities (not closed: see
    domain.opportunities), or None when the workspace has no opportunities."""
    types = {"account_id": pl.String(), "amount": pl.Float64(), **STATE_TYPES}
    opportunities = uow.records.read(Entity.OPPORTUNITIES, types, active_only=True)
    if opportunities.is_empty():
        return None
    return (
        opportunities.filter(~is_closed())
        .group_by("account_id")
        .agg(pl.col("amount").fill_null(0.0).sum().alias("value"))
    )


# What `account find` shows of each account it finds.
FOUND_COLUMNS = {
    "account_id": pl.String(),
    "name": pl.String(),
    "website": pl.String(),
    "owner_id": pl.String(),
}


def find_accounts(workspace: WorkspaceStore, text: str) -> pl.DataFrame:
    """The workspace's active accounts whose name or website holds `text` (ignoring case; a domain
    such as acme.com finds https://www.acme.com/), by account_id."""
    wanted = text.strip().lower()
    if not wanted:
        raise BadInput.at("give some text to look for in account names and websites", "TEXT")
    with workspace.unit_of_work() as uow:
        accounts = uow.records.read(Entity.ACCOUNTS, FOUND_COLUMNS, active_only=True)
    holds = [
        pl.col(c).str.to_lowercase().str.contains(wanted, literal=True).fill_null(False)
        for c in ("name", "website")
    ]
    return accounts.select(*FOUND_COLUMNS).filter(holds[0] | holds[1]).sort("account_id")


def active_reps(uow: UnitOfWork) -> dict[str, bool] | None:
    """rep_id → active, or None when the workspace has no reps yet."""
    reps = uow.reps.list()
    return {rep.rep_id: rep.active for rep in reps} if reps else None


def create_workspace(url: str | None) -> Workspace:
    """A workspace at `url` (the default SQLite file when None), created or brought to this version."""
    return init_workspace(url)


def connect(url: str | None) -> WorkspaceStore:
    """The workspace at `url`, opened when a use case first needs it: a command that reads only
    files never asks for one, and one that does is told what to run if there is none."""
    return LazyWorkspace(url)


class LazyWorkspace:
    def __init__(self, url: str | None) -> None:
        self.url = url
        self._opened: Workspace | None = None

    @property
    def name(self) -> str:
        return self._open().name

    def unit_of_work(
        self, write: bool = False, lock: str | None = None
    ) -> AbstractContextManager[UnitOfWork]:
        return self._open().unit_of_work(write, lock)

    def _open(self) -> Workspace:
        if self._opened is None:
            self._opened = open_workspace(self.url)
        return self._opened


def workspace_for_workers(url: str | None) -> WorkspaceStore:
    """The workspace a server's worker processes will open: checked now (so a missing or outdated
    one is one clear error before anything listens), and named in TERRITORIAL_DATABASE_URL, which
    each worker reads."""
    opened = open_workspace(url)
    os.environ[URL_VARIABLE] = opened.url
    return opened
