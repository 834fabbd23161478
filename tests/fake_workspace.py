"""An in-memory workspace with the store's repositories, for service tests without a database.

It implements only what `tests/store/test_repositories.py` pins; that suite runs on it, on SQLite and
on PostgreSQL, so the fake cannot drift from the real store unnoticed. A writing unit of work works
on a copy and keeps it only when its block ends without an error, as a transaction would."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

import polars as pl

from territorial.domain.audit import GENESIS, StoredEntry, chained
from territorial.domain.entities import SCHEMAS, Entity
from territorial.domain.lifecycle import (
    ActivationStatus,
    ChangeKind,
    PlanState,
    StoredActivation,
    StoredChangeSet,
    StoredHold,
    StoredOverride,
)
from territorial.domain.notifications import (
    ItemState,
    MessageState,
    OutboxItem,
    StoredItem,
    StoredMessage,
    StoredSubscription,
)
from territorial.domain.quotas import SavedQuota
from territorial.domain.reps import Rep, reps_from_records
from territorial.domain.roster import RosterChangeKind, RosterChangeStatus, StoredRosterChange
from territorial.domain.stored import (
    EarlierLead,
    ImportCounts,
    PlanFile,
    StoredDecision,
    StoredPlan,
    StoredRoutingRun,
    StoredRunInfo,
)
from territorial.errors import Location
from territorial.rules.to_polars import POLARS_TYPES
from territorial.store.bulk import text_of
from territorial.store.repositories import (
    CHANGE_TYPES,
    DECISION_TYPES,
    HISTORY_SINCE,
    HISTORY_TYPES,
    LIVE_TYPES,
    POOL_WEIGHT_TYPES,
    POOLED_TYPES,
    RESULT_TYPES,
    ROSTER_HISTORY_TYPES,
    ROSTER_TYPES,
)

BOOKKEEPING = {"active": pl.Boolean(), "updated_at": pl.Datetime()}


def _empty(entity: Entity) -> pl.DataFrame:
    schema = SCHEMAS[entity]
    types = {name: POLARS_TYPES[ftype] for name, ftype in schema.fields.items()}
    return pl.DataFrame(schema={**types, **BOOKKEEPING})


@dataclass
class State:
    plans: list[StoredPlan] = field(default_factory=list)
    records: dict[Entity, pl.DataFrame] = field(default_factory=lambda: {e: _empty(e) for e in Entity})
    history: list[pl.DataFrame] = field(default_factory=list)
    normalizations: list[pl.DataFrame] = field(default_factory=list)
    imports: list[dict[str, Any]] = field(default_factory=list)
    runs: dict[int, dict[str, Any]] = field(default_factory=dict)
    routing_runs: dict[int, dict[str, Any]] = field(default_factory=dict)
    decisions: list[dict[str, Any]] = field(default_factory=list)
    pool_weights: list[dict[str, Any]] = field(default_factory=list)
    pools: dict[str, Any] = field(default_factory=dict)
    pool_moves: list[dict[str, Any]] = field(default_factory=list)  # route_run_id, territory_id, before
    activations: list[StoredActivation] = field(default_factory=list)
    roster: list[dict[str, Any]] = field(default_factory=list)
    live: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=LIVE_TYPES))
    next_plan_id: int = 1
    plan_files: dict[int, list[PlanFile]] = field(default_factory=dict)
    parsed_plans: dict[int, tuple[str, bytes]] = field(default_factory=dict)
    overrides: list[StoredOverride] = field(default_factory=list)
    holds: list[StoredHold] = field(default_factory=list)
    change_sets: list[StoredChangeSet] = field(default_factory=list)
    changes: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=CHANGE_TYPES))
    subscriptions: list[StoredSubscription] = field(default_factory=list)
    outbox_items: list[StoredItem] = field(default_factory=list)
    outbox_messages: list[StoredMessage] = field(default_factory=list)
    ended: set[int] = field(default_factory=set)  # ended subscriptions
    roster_changes: list[StoredRosterChange] = field(default_factory=list)
    audit: list[StoredEntry] = field(default_factory=list)
    exports: list[dict[str, Any]] = field(default_factory=list)
    quotas: list[SavedQuota] = field(default_factory=list)
    baselines: dict[tuple[str, int], list[tuple[str, str, float]]] = field(default_factory=dict)


class _Repository:
    def __init__(self, state: State, write: bool) -> None:
        self.state = state
        self.write = write

    def _writing(self) -> State:
        if not self.write:
            raise RuntimeError("this unit of work only reads; open one with write=True and a lock")
        return self.state


class FakePlans(_Repository):
    def add(
        self, name: str, file_name: str, source: str, created_at: datetime, actor: str | None = None
    ) -> int:
        state = self._writing()
        plan_id = state.next_plan_id
        state.next_plan_id += 1
        state.plans.append(StoredPlan(plan_id, name, file_name, source, created_at, actor))
        return plan_id

    def get(self, plan_id: int) -> StoredPlan | None:
        return next((p for p in self.state.plans if p.plan_id == plan_id), None)

    def list(self) -> list[StoredPlan]:
        return list(self.state.plans)

    def active(self) -> StoredPlan | None:
        return next((p for p in self.state.plans if p.state is PlanState.ACTIVE), None)

    def active_id(self) -> int | None:
        found = self.active()
        return None if found is None else found.plan_id

    def _change(self, plan_id: int, **values: Any) -> None:
        state = self._writing()
        state.plans = [replace(p, **values) if p.plan_id == plan_id else p for p in state.plans]

    def replace_source(self, plan_id: int, name: str, file_name: str, source: str) -> None:
        self._change(plan_id, name=name, file_name=file_name, source=source)

    def set_state(self, plan_id: int, state: PlanState, effective: date | None) -> None:
        self._change(plan_id, state=state, effective=effective)

    def keep_files(self, plan_id: int, files: Sequence[PlanFile]) -> None:
        self._writing().plan_files[plan_id] = sorted(files, key=lambda f: f.path)

    def files(self, plan_id: int) -> tuple[PlanFile, ...]:
        return tuple(self.state.plan_files.get(plan_id, []))

    def parsed(self, plan_id: int, key: str) -> bytes | None:
        kept = self.state.parsed_plans.get(plan_id)
        return kept[1] if kept is not None and kept[0] == key else None

    def keep_parsed(self, plan_id: int, key: str, content: bytes) -> None:
        self._writing().parsed_plans[plan_id] = (key, content)

    def run_count(self, plan_id: int) -> int:
        runs = sum(run["info"].plan_id == plan_id for run in self.state.runs.values())
        return runs + sum(run.get("plan_id") == plan_id for run in self.state.routing_runs.values())

    def delete(self, plan_id: int) -> None:
        state = self._writing()
        gone = {("run", n) for n, run in state.runs.items() if run["info"].plan_id == plan_id}
        gone |= {("activation", a.activation_id) for a in state.activations if a.plan_id == plan_id}
        state.baselines = {key: kept for key, kept in state.baselines.items() if key not in gone}
        state.runs = {n: run for n, run in state.runs.items() if run["info"].plan_id != plan_id}
        for run in state.routing_runs.values():
            if run.get("plan_id") == plan_id:
                run["plan_id"] = None
        state.activations = [a for a in state.activations if a.plan_id != plan_id]
        state.plan_files.pop(plan_id, None)
        state.parsed_plans.pop(plan_id, None)
        state.plans = [p for p in state.plans if p.plan_id != plan_id]


class FakeRecords(_Repository):
    def read(
        self, entity: Entity, types: Mapping[str, pl.DataType], active_only: bool = False
    ) -> pl.DataFrame:
        frame = self.state.records[entity]
        if active_only:
            frame = frame.filter(pl.col("active"))
        core = set(SCHEMAS[entity].fields) | set(BOOKKEEPING)
        custom = [c for c in frame.columns if c not in core] if SCHEMAS[entity].allows_custom else []
        return frame.select(*(pl.col(name).cast(dtype) for name, dtype in types.items()), *custom)

    def count(self, entity: Entity, active_only: bool = False) -> int:
        frame = self.state.records[entity]
        return frame.filter(pl.col("active")).height if active_only else frame.height

    def custom_fields(self, entity: Entity, active_only: bool = False) -> list[str]:
        return sorted(self.read(entity, {}, active_only).columns)

    def distinct_custom_values(
        self, entity: Entity, name: str, active_only: bool = False
    ) -> list[str | None]:
        frame = self.read(entity, {}, active_only)
        return (
            frame.get_column(name).unique(maintain_order=True).to_list() if name in frame.columns else [None]
        )

    def some_fields(
        self,
        entity: Entity,
        types: Mapping[str, pl.DataType],
        custom: Sequence[str],
        active_only: bool = False,
        ids: Sequence[str] | None = None,
    ) -> pl.DataFrame:
        id_field = SCHEMAS[entity].id_field
        frame = self.read(entity, {id_field: pl.String(), **types}, active_only)
        if ids is not None:
            frame = frame.filter(pl.col(id_field).is_in(list(ids)))
        return frame.select(
            *types, *(pl.col(c) if c in frame.columns else pl.lit(None, pl.String).alias(c) for c in custom)
        )

    def upsert(self, entity: Entity, rows: pl.DataFrame, custom_fields: Sequence[str] | None = None) -> None:
        state = self._writing()
        schema = SCHEMAS[entity]
        key = schema.id_field
        stored = state.records[entity]
        if custom_fields is not None and schema.allows_custom:
            stored_custom = [c for c in stored.columns if c not in schema.fields and c not in BOOKKEEPING]
            rows = rows.with_columns(
                *(text_of(c, rows.schema[c]).alias(c) for c in custom_fields),
                *(pl.lit(None, pl.String).alias(c) for c in stored_custom if c not in custom_fields),
            )
        for name in rows.columns:
            if name not in stored.columns:
                stored = stored.with_columns(pl.lit(None, rows.schema[name]).alias(name))
        rows = rows.with_columns(pl.col(c).cast(stored.schema[c]) for c in rows.columns)
        new = rows.join(stored.select(key), on=key, how="anti")
        updated = stored.update(rows, on=key, include_nulls=True)
        added = new.with_columns(
            *(pl.lit(None, stored.schema[c]).alias(c) for c in stored.columns if c not in new.columns)
        ).with_columns(pl.col("active").fill_null(True))
        state.records[entity] = pl.concat([updated, added.select(stored.columns)])

    def add_history(self, changes: pl.DataFrame) -> None:
        self._writing().history.append(changes)

    def history_of(self, entity: Entity, record_id: str) -> pl.DataFrame:
        wanted = (pl.col("entity") == entity.value) & (pl.col("record_id") == record_id)
        columns = ["field", "old_value", "new_value"]
        frames = [h.filter(wanted).select(columns) for h in self.state.history]
        return pl.concat(frames) if frames else pl.DataFrame(schema=dict.fromkeys(columns, pl.String))

    def history_since(self, import_id: int) -> pl.DataFrame:
        frames = [h.select(*HISTORY_SINCE).cast(HISTORY_SINCE) for h in self.state.history]
        frame = pl.concat(frames) if frames else pl.DataFrame(schema=HISTORY_SINCE)
        return frame.filter(pl.col("import_id") >= import_id)

    def add_normalizations(self, summary: pl.DataFrame) -> None:
        self._writing().normalizations.append(summary)


class FakeReps(_Repository):
    def list(self) -> list[Rep]:
        frame = self.state.records[Entity.REPS].sort("rep_id")
        return reps_from_records(
            frame.to_dicts(), lambda _row, field: Location("workspace reps", subject=field)
        )


class FakeImports(_Repository):
    def start(
        self,
        entity: Entity,
        source_file: str,
        mapping: str | None,
        started_at: datetime,
        rows: int,
        actor: str | None = None,
    ) -> int:
        state = self._writing()
        state.imports.append(
            {"entity": entity, "mapping": mapping, "counts": None, "source_file": source_file}
        )
        return len(state.imports)

    def finish(self, import_id: int, finished_at: datetime, counts: ImportCounts) -> None:
        self._writing().imports[import_id - 1]["counts"] = counts

    def with_source(self, source_file: str) -> int | None:
        found = [n for n, i in enumerate(self.state.imports, start=1) if i.get("source_file") == source_file]
        return found[0] if found else None

    def entity_of(self, import_id: int) -> Entity | None:
        found = self.state.imports[import_id - 1] if 0 < import_id <= len(self.state.imports) else None
        return None if found is None or found["counts"] is None else Entity(found["entity"])

    def latest_mapping(self, entity: Entity) -> str | None:
        found = [i for i in self.state.imports if i["entity"] is entity]
        return found[-1]["mapping"] if found else None

    def counts(self, import_id: int) -> ImportCounts | None:
        found = self.state.imports[import_id - 1] if 0 < import_id <= len(self.state.imports) else None
        return None if found is None else found["counts"]


class FakeAssignmentRuns(_Repository):
    def add(
        self,
        plan_id: int,
        started_at: datetime,
        accounts: int,
        unassigned: int,
        ties: int,
        reasons: Sequence[str],
        results: pl.DataFrame,
        actor: str | None = None,
    ) -> int:
        state = self._writing()
        run_id = len(state.runs) + 1
        texts = pl.DataFrame({"reason": list(reasons)}, schema={"reason": pl.String}).with_row_index(
            "reason_id"
        )
        rows = results.select(*RESULT_TYPES).join(
            texts.with_columns(pl.col("reason_id").cast(pl.Int64)), on="reason_id", how="left"
        )
        counts = {"accounts": accounts, "unassigned": unassigned, "ties": ties}
        state.runs[run_id] = {
            "info": StoredRunInfo(run_id, plan_id, started_at, None, **counts, actor=actor),
            "rows": rows.drop("reason_id"),
        }
        return run_id

    def finish(self, run_id: int, finished_at: datetime) -> None:
        run = self._writing().runs[run_id]
        run["info"] = replace(run["info"], finished_at=finished_at)

    def list(self) -> list[StoredRunInfo]:
        return [run["info"] for _run_id, run in sorted(self.state.runs.items())]

    def get(self, run_id: int) -> StoredRunInfo | None:
        run = self.state.runs.get(run_id)
        return None if run is None else run["info"]

    def results(self, run_id: int) -> pl.DataFrame | None:
        run = self.state.runs.get(run_id)
        return None if run is None else run["rows"]


class FakeRoutingAudit(_Repository):
    def add_run(
        self,
        plan_id: int | None,
        plan_name: str,
        source: str,
        started_at: datetime,
        decisions: Sequence[Mapping[str, Any]],
        actor: str | None = None,
        weights: Sequence[tuple[str, str, float]] = (),
    ) -> int:
        state = self._writing()
        run_id = len(state.routing_runs) + 1
        state.routing_runs[run_id] = {
            "plan_name": plan_name,
            "source": source,
            "plan_id": plan_id,
            "leads": len(decisions),
            "undone_at": None,
        }
        for row in decisions:
            state.decisions.append(
                {**{name: row.get(name) for name in DECISION_TYPES}, "route_run_id": run_id}
            )
        for territory_id, rep_id, weight in weights:
            state.pool_weights.append(
                {"route_run_id": run_id, "territory_id": territory_id, "rep_id": rep_id, "weight": weight}
            )
        return run_id

    def finish_run(self, route_run_id: int, finished_at: datetime) -> None:
        self._writing()

    def latest_run_id(self) -> int:
        return max(self.state.routing_runs, default=0)

    def undone_runs(self) -> int:
        return sum(run["undone_at"] is not None for run in self.state.routing_runs.values())

    def save_pools(
        self, states: Mapping[str, Any], updated_at: datetime, route_run_id: int | None = None
    ) -> None:
        state = self._writing()
        if route_run_id is not None:
            for territory in sorted(states):
                before = copy.deepcopy(state.pools.get(territory))
                state.pool_moves.append(
                    {"route_run_id": route_run_id, "territory_id": territory, "before": before}
                )
        state.pools.update(copy.deepcopy(dict(states)))

    def latest_decisions_for(self, lead_ids: Iterable[str]) -> dict[str, StoredDecision]:
        wanted = set(lead_ids)
        found: dict[str, StoredDecision] = {}
        for d in self.state.decisions:
            if d["lead_id"] in wanted:
                found[d["lead_id"]] = self._stored(d)
        return found

    def decision_history(self, route_run_id: int | None = None, since: date | None = None) -> pl.DataFrame:
        chosen = {
            d["lead_id"]
            for d in self.state.decisions
            if (route_run_id is None or d["route_run_id"] == route_run_id)
            and (since is None or d["lead_day"] >= since)
        }
        rows = [
            (number, *(d[name] for name in list(HISTORY_TYPES)[1:]))
            for number, d in enumerate(self.state.decisions, start=1)
            if d["lead_id"] in chosen
        ]
        return pl.DataFrame(rows, schema=HISTORY_TYPES, orient="row")

    def routing_run(self, route_run_id: int) -> StoredRoutingRun | None:
        run = self.state.routing_runs.get(route_run_id)
        if run is None:
            return None
        moved = tuple(
            sorted(m["territory_id"] for m in self.state.pool_moves if m["route_run_id"] == route_run_id)
        )
        later = {
            m["route_run_id"]
            for m in self.state.pool_moves
            if m["route_run_id"] > route_run_id
            and m["territory_id"] in moved
            and self.state.routing_runs[m["route_run_id"]]["undone_at"] is None
        }
        return StoredRoutingRun(
            route_run_id,
            run["source"],
            run["leads"],
            run["undone_at"],
            moved,
            tuple(sorted(later, reverse=True)),
        )

    def undo_run(self, route_run_id: int, undone_at: datetime, actor: str | None = None) -> None:
        state = self._writing()
        for move in state.pool_moves:
            if move["route_run_id"] == route_run_id:
                if move["before"] is None:
                    state.pools.pop(move["territory_id"], None)
                else:
                    state.pools[move["territory_id"]] = copy.deepcopy(move["before"])
        state.decisions = [d for d in state.decisions if d["route_run_id"] != route_run_id]
        state.pool_weights = [w for w in state.pool_weights if w["route_run_id"] != route_run_id]
        state.routing_runs[route_run_id] |= {"undone_at": undone_at, "undone_by": actor}

    def pools(self) -> dict[str, Any]:
        return copy.deepcopy(self.state.pools)

    def earlier_leads(self, emails: Iterable[str], since: date) -> dict[str, EarlierLead]:
        wanted = set(emails)
        found: dict[str, EarlierLead] = {}
        for d in sorted(self.state.decisions, key=lambda d: d["lead_day"]):  # stable: decision order kept
            if d["email"] in wanted and d["rep_id"] is not None and d["lead_day"] >= since:
                found[d["email"]] = EarlierLead(
                    d["email"], d["lead_id"], d["lead_day"], d["rep_id"], d["territory_id"]
                )
        return found

    def routed_among(self, lead_ids: Iterable[str]) -> set[str]:
        return set(lead_ids) & {d["lead_id"] for d in self.state.decisions}

    def decisions_for(self, lead_id: str) -> list[StoredDecision]:
        return [self._stored(d) for d in self.state.decisions if d["lead_id"] == lead_id]

    def _stored(self, d: dict[str, Any]) -> StoredDecision:
        import json

        return StoredDecision(
            route_run_id=d["route_run_id"],
            lead_id=d["lead_id"],
            lead_day=d["lead_day"],
            decision=d["decision"],
            rep_id=d["rep_id"],
            territory_id=d["territory_id"],
            matched_account_id=d["matched_account_id"],
            score=d["score"],
            relevance=d["relevance"],
            product=d["product"],
            queue=d["queue"],
            reason=d["reason"],
            path=json.loads(d["path"]),
            source=self.state.routing_runs[d["route_run_id"]]["source"],
            plan_name=self.state.routing_runs[d["route_run_id"]]["plan_name"],
        )

    def pooled_leads(
        self, start: date | None, end: date | None, route_run_id: int | None = None
    ) -> pl.DataFrame:
        rows = [
            (d["route_run_id"], d["territory_id"], d["rep_id"], d["score"])
            for d in self._pooled(start, end, route_run_id)
        ]
        return pl.DataFrame(rows, schema={"route_run_id": pl.Int64, **POOLED_TYPES}, orient="row")

    def pool_weights(
        self, start: date | None, end: date | None, route_run_id: int | None = None
    ) -> pl.DataFrame:
        runs = {d["route_run_id"] for d in self._pooled(start, end, route_run_id)}
        rows = [w for w in self.state.pool_weights if w["route_run_id"] in runs]
        return pl.DataFrame(rows, schema={"route_run_id": pl.Int64, **POOL_WEIGHT_TYPES})

    def _pooled(self, start: date | None, end: date | None, route_run_id: int | None) -> list[dict[str, Any]]:
        return [
            d
            for d in self.state.decisions
            if d["in_pool"]
            and (start is None or d["lead_day"] >= start)
            and (end is None or d["lead_day"] <= end)
            and (route_run_id is None or d["route_run_id"] == route_run_id)
        ]


class FakeActivations(_Repository):
    def add(
        self,
        plan_id: int,
        effective: date,
        from_state: PlanState,
        requested_at: datetime,
        actor: str | None = None,
        skipped_checks: bool = False,
    ) -> int:
        state = self._writing()
        activation_id = len(state.activations) + 1
        state.activations.append(
            StoredActivation(
                activation_id,
                plan_id,
                effective,
                ActivationStatus.SCHEDULED,
                from_state,
                requested_at,
                None,
                skipped_checks,
                actor,
            )
        )
        return activation_id

    def mark(self, activation_id: int, status: ActivationStatus, applied_at: datetime | None = None) -> None:
        state = self._writing()
        state.activations = [
            replace(a, status=status, applied_at=applied_at) if a.activation_id == activation_id else a
            for a in state.activations
        ]

    def history(self) -> list[StoredActivation]:
        return list(self.state.activations)

    def on_day(self, effective: date) -> list[StoredActivation]:
        return [
            a
            for a in self.state.activations
            if a.effective == effective and a.status is not ActivationStatus.CANCELLED
        ]

    def due(self, today: date) -> list[StoredActivation]:
        found = [
            a
            for a in self.state.activations
            if a.status is ActivationStatus.SCHEDULED and a.effective <= today
        ]
        return sorted(found, key=lambda a: (a.effective, a.activation_id))

    def scheduled_of(self, plan_id: int) -> StoredActivation | None:
        return next(
            (
                a
                for a in self.state.activations
                if a.plan_id == plan_id and a.status is ActivationStatus.SCHEDULED
            ),
            None,
        )


class FakeRoster(_Repository):
    def current(self) -> pl.DataFrame:
        rows = [{k: r[k] for k in ROSTER_TYPES} for r in self.state.roster if r["valid_to"] is None]
        return pl.DataFrame(rows, schema=ROSTER_TYPES).sort("territory_id", "position")

    def start(self, activation_id: int, rows: pl.DataFrame, valid_from: date) -> None:
        state = self._writing()
        for row in state.roster:
            if row["valid_to"] is None:
                row["valid_to"] = valid_from
        for row in rows.select(*ROSTER_TYPES).iter_rows(named=True):
            state.roster.append(
                {**row, "activation_id": activation_id, "valid_from": valid_from, "valid_to": None}
            )

    def end(self, rep_id: str, valid_to: date, territories: Sequence[str] | None = None) -> None:
        for row in self._writing().roster:
            ours = row["valid_to"] is None and row["rep_id"] == rep_id
            if ours and (territories is None or row["territory_id"] in territories):
                row["valid_to"] = valid_to

    def join(self, activation_id: int | None, territory_id: str, rep_id: str, valid_from: date) -> None:
        state = self._writing()
        taken = [
            r["position"] for r in state.roster if r["valid_to"] is None and r["territory_id"] == territory_id
        ]
        position = max(taken) + 1 if taken else 0
        state.roster.append(
            {
                "territory_id": territory_id,
                "rep_id": rep_id,
                "position": position,
                "activation_id": activation_id,
                "valid_from": valid_from,
                "valid_to": None,
            }
        )

    def history(self) -> pl.DataFrame:
        rows = [{k: r[k] for k in ROSTER_HISTORY_TYPES} for r in self.state.roster]
        frame = pl.DataFrame(rows, schema=ROSTER_HISTORY_TYPES)
        return frame.sort("territory_id", "valid_from", "position", "rep_id")


class FakeRosterChanges(_Repository):
    def add(
        self,
        kind: RosterChangeKind,
        rep_id: str,
        territory_id: str | None,
        book_until: date | None,
        effective: date,
        requested_at: datetime,
        actor: str | None,
    ) -> int:
        state = self._writing()
        change_id = len(state.roster_changes) + 1
        state.roster_changes.append(
            StoredRosterChange(
                change_id,
                kind,
                rep_id,
                territory_id,
                book_until,
                effective,
                RosterChangeStatus.SCHEDULED,
                requested_at,
                actor,
            )
        )
        return change_id

    def mark(
        self, change_id: int, status: RosterChangeStatus, at: datetime | None = None, note: str | None = None
    ) -> None:
        state = self._writing()
        state.roster_changes = [
            replace(c, status=status, applied_at=at, note=note) if c.change_id == change_id else c
            for c in state.roster_changes
        ]

    def all(self) -> list[StoredRosterChange]:
        return sorted(self.state.roster_changes, key=lambda c: (c.effective, c.change_id))

    def pending(self, by: date | None = None) -> list[StoredRosterChange]:
        return [
            c
            for c in self.all()
            if c.status is RosterChangeStatus.SCHEDULED and (by is None or c.effective <= by)
        ]


class FakeLiveAssignments(_Repository):
    def rows(self, columns: Sequence[str] | None = None) -> pl.DataFrame:
        return self.state.live.select(columns or list(LIVE_TYPES))

    def rows_of(self, account_ids: Sequence[str], columns: Sequence[str]) -> pl.DataFrame:
        return self.state.live.filter(pl.col("account_id").is_in(list(account_ids))).select(columns)

    def in_territories(self, territory_ids: Sequence[str], columns: Sequence[str]) -> pl.DataFrame:
        return self.state.live.filter(pl.col("territory_id").is_in(list(territory_ids))).select(columns)

    def accounts_per_rep(self, territory_ids: Sequence[str]) -> pl.DataFrame:
        inside = self.state.live.filter(pl.col("territory_id").is_in(list(territory_ids)))
        return inside.group_by("territory_id", "rep_id").agg(pl.len().cast(pl.Int64).alias("accounts"))

    def reps_in(self, layer: str) -> pl.DataFrame:
        return self.state.live.filter(pl.col("layer") == layer).select("account_id", "rep_id")

    def of_account(self, account_id: str) -> pl.DataFrame:
        return self.state.live.filter(pl.col("account_id") == account_id).sort("layer")

    def replace(self, rows: pl.DataFrame) -> None:
        self._writing().live = rows.select(*LIVE_TYPES).cast(LIVE_TYPES)

    def put(self, account_ids: Sequence[str], rows: pl.DataFrame) -> None:
        state = self._writing()
        kept = state.live.filter(~pl.col("account_id").is_in(list(account_ids)))
        state.live = pl.concat([kept, rows.select(*LIVE_TYPES).cast(LIVE_TYPES)])


class FakeOverrides(_Repository):
    def add(
        self,
        account_id: str,
        layer: str,
        territory_id: str | None,
        rep_id: str | None,
        reason: str,
        actor: str | None,
        created_at: datetime,
        until: date | None,
    ) -> int:
        state = self._writing()
        new_id = len(state.overrides) + 1
        state.overrides.append(
            StoredOverride(new_id, account_id, layer, territory_id, rep_id, reason, actor, created_at, until)
        )
        return new_id

    def in_force(self) -> list[StoredOverride]:
        return [o for o in self.state.overrides if o.ended_at is None]

    def all(self) -> list[StoredOverride]:
        return list(self.state.overrides)

    def end(self, ids: Sequence[int], ended_at: datetime, cause: str) -> None:
        state = self._writing()
        state.overrides = [
            replace(o, ended_at=ended_at, end_cause=cause) if o.override_id in ids else o
            for o in state.overrides
        ]


class FakeHolds(_Repository):
    def add(
        self,
        account_id: str,
        layer: str,
        territory_id: str | None,
        rep_id: str,
        actor: str | None,
        created_at: datetime,
        until: date,
    ) -> int:
        state = self._writing()
        new_id = len(state.holds) + 1
        state.holds.append(
            StoredHold(new_id, account_id, layer, territory_id, rep_id, actor, created_at, until)
        )
        return new_id

    def in_force(self) -> list[StoredHold]:
        return [h for h in self.state.holds if h.ended_at is None]

    def all(self) -> list[StoredHold]:
        return list(self.state.holds)

    def end(self, ids: Sequence[int], ended_at: datetime, cause: str) -> None:
        state = self._writing()
        state.holds = [
            replace(h, ended_at=ended_at, end_cause=cause) if h.hold_id in ids else h for h in state.holds
        ]


class FakeChangeLog(_Repository):
    def open(
        self,
        kind: ChangeKind,
        at: datetime,
        effective: date,
        actor: str,
        summary: str,
        plan_id: int | None,
        changes: int,
    ) -> int:
        state = self._writing()
        new_id = len(state.change_sets) + 1
        state.change_sets.append(
            StoredChangeSet(new_id, kind, at, effective, actor, summary, plan_id, changes)
        )
        return new_id

    def add(self, change_set_id: int, rows: pl.DataFrame) -> None:
        state = self._writing()
        framed = rows.with_columns(pl.lit(change_set_id, pl.Int64).alias("change_set_id"))
        state.changes = pl.concat([state.changes, framed.select(*CHANGE_TYPES).cast(CHANGE_TYPES)])

    def sets(self, after: int = 0) -> list[StoredChangeSet]:
        return [s for s in self.state.change_sets if s.change_set_id > after]

    def rows(
        self,
        change_set_ids: Sequence[int] | None = None,
        account_id: str | None = None,
        rep_id: str | None = None,
    ) -> pl.DataFrame:
        frame = self.state.changes
        if change_set_ids is not None:
            frame = frame.filter(pl.col("change_set_id").is_in(list(change_set_ids)))
        if account_id is not None:
            frame = frame.filter(pl.col("account_id") == account_id)
        if rep_id is not None:
            frame = frame.filter((pl.col("to_rep_id") == rep_id) | (pl.col("from_rep_id") == rep_id))
        return frame.sort("change_set_id", "account_id", "layer")

    def rows_after(self, change_set_id: int) -> pl.DataFrame:
        frame = self.state.changes.filter(pl.col("change_set_id") > change_set_id)
        return frame.sort("change_set_id", "account_id", "layer")


class FakeAuditTrail(_Repository):
    def append(self, fields: Mapping[str, str | None]) -> StoredEntry:
        state = self._writing()
        last = state.audit[-1] if state.audit else None
        entry = chained(fields, 1, GENESIS) if last is None else chained(fields, last.seq + 1, last.hash)
        state.audit.append(entry)
        return entry

    def entries(self) -> list[StoredEntry]:
        return list(self.state.audit)


class FakeDeltaExports(_Repository):
    def add(self, at: datetime, actor: str, since: str, fmt: str, through: int, rows: int) -> int:
        state = self._writing()
        state.exports.append({"at": at, "actor": actor, "since": since, "through": through, "rows": rows})
        return len(state.exports)

    def last_through(self) -> int | None:
        return int(self.state.exports[-1]["through"]) if self.state.exports else None


class FakeSubscriptions(_Repository):
    def add(self, subscription: StoredSubscription) -> int:
        state = self._writing()
        new_id = len(state.subscriptions) + 1
        state.subscriptions.append(replace(subscription, subscription_id=new_id))
        return new_id

    def in_force(self) -> list[StoredSubscription]:
        return [s for s in self.state.subscriptions if s.subscription_id not in self.state.ended]

    def all(self) -> list[StoredSubscription]:
        return list(self.state.subscriptions)

    def end(self, subscription_id: int, ended_at: datetime) -> None:
        self._writing().ended.add(subscription_id)


class FakeOutbox(_Repository):
    def enqueue(self, items: Sequence[OutboxItem]) -> None:
        state = self._writing()
        for item in items:
            fields = {name: getattr(item, name) for name in OutboxItem.__dataclass_fields__}
            state.outbox_items.append(StoredItem(**fields, item_id=len(state.outbox_items) + 1))

    def items(
        self, state: ItemState | None = None, message_id: int | None = None, due_by: datetime | None = None
    ) -> list[StoredItem]:
        return [
            i
            for i in self.state.outbox_items
            if (state is None or i.state is state)
            and (message_id is None or i.message_id == message_id)
            and (due_by is None or i.due_at <= due_by)
        ]

    def _change_items(self, item_ids: Sequence[int], **values: Any) -> None:
        state = self._writing()
        state.outbox_items = [
            replace(i, **values) if i.item_id in item_ids else i for i in state.outbox_items
        ]

    def readdress(self, item_ids: Sequence[int], destination: str) -> None:
        self._change_items(item_ids, destination=destination, state=ItemState.PENDING)

    def bundle(self, item_ids: Sequence[int], message: StoredMessage) -> int:
        state = self._writing()
        same = [m.message_id for m in state.outbox_messages if m.key == message.key]
        new_id = same[0] if same else len(state.outbox_messages) + 1
        if not same:
            state.outbox_messages.append(replace(message, message_id=new_id))
        self._change_items(item_ids, state=ItemState.BUNDLED, message_id=new_id)
        return new_id

    def messages(self, states: Sequence[MessageState] | None = None) -> list[StoredMessage]:
        return [m for m in self.state.outbox_messages if states is None or m.state in states]

    def message(self, message_id: int) -> StoredMessage | None:
        return next((m for m in self.state.outbox_messages if m.message_id == message_id), None)

    def mark(
        self,
        message_id: int,
        state: MessageState,
        attempts: int,
        next_try_at: datetime | None = None,
        sent_at: datetime | None = None,
        last_error: str | None = None,
    ) -> None:
        stored = self._writing()
        values = {
            "state": state,
            "attempts": attempts,
            "next_try_at": next_try_at,
            "sent_at": sent_at,
            "last_error": last_error,
        }
        stored.outbox_messages = [
            replace(m, **values) if m.message_id == message_id else m for m in stored.outbox_messages
        ]


class FakeQuotas(_Repository):
    def save(self, quotas: Sequence[SavedQuota], saved_at: datetime) -> None:
        state = self._writing()
        replaced = {(q.period, q.layer) for q in quotas}
        state.quotas = [q for q in state.quotas if (q.period, q.layer) not in replaced] + list(quotas)

    def overlapping(self, start: date, end: date) -> list[SavedQuota]:
        found = [q for q in self.state.quotas if q.period_start <= end and q.period_end >= start]
        return sorted(
            found,
            key=lambda q: (
                q.period_start,
                q.period,
                q.layer,
                q.territory_id,
                q.rep_id is not None,
                q.rep_id or "",
            ),
        )


class FakeBaselines(_Repository):
    def save(self, kind: str, ref_id: int, figures: Sequence[tuple[str, str, float]]) -> None:
        self._writing().baselines[(kind, ref_id)] = sorted(figures)

    def figures(self, kind: str, ref_id: int) -> list[tuple[str, str, float]] | None:
        return list(self.state.baselines.get((kind, ref_id), [])) or None


class FakeUnitOfWork:
    def __init__(self, state: State, write: bool) -> None:
        self.plans = FakePlans(state, write)
        self.records = FakeRecords(state, write)
        self.reps = FakeReps(state, write)
        self.imports = FakeImports(state, write)
        self.runs = FakeAssignmentRuns(state, write)
        self.routing = FakeRoutingAudit(state, write)
        self.activations = FakeActivations(state, write)
        self.roster = FakeRoster(state, write)
        self.live = FakeLiveAssignments(state, write)
        self.overrides = FakeOverrides(state, write)
        self.holds = FakeHolds(state, write)
        self.changes = FakeChangeLog(state, write)
        self.subscriptions = FakeSubscriptions(state, write)
        self.outbox = FakeOutbox(state, write)
        self.roster_changes = FakeRosterChanges(state, write)
        self.audit = FakeAuditTrail(state, write)
        self.exports = FakeDeltaExports(state, write)
        self.quotas = FakeQuotas(state, write)
        self.baselines = FakeBaselines(state, write)


class FakeWorkspace:
    name = "in-memory workspace"

    def __init__(self) -> None:
        self.state = State()

    @contextmanager
    def unit_of_work(self, write: bool = False, lock: str | None = None) -> Iterator[FakeUnitOfWork]:
        if write and not lock:
            raise ValueError("a writing unit of work names its lock")
        draft = copy.deepcopy(self.state) if write else self.state
        yield FakeUnitOfWork(draft, write)
        if write:
            self.state = draft  # reached only when the block raised nothing: committed
