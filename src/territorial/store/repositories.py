"""The repositories: plans, imports, assignment runs and the routing audit as domain objects, and
records (accounts, reps, opportunities, leads, history) as frames through `store.bulk`."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

import polars as pl
from sqlalchemy import ColumnElement, Connection, Table, delete, func, insert, select, update
from sqlalchemy import text as sql_text

from territorial.domain.audit import GENESIS, StoredEntry, chained
from territorial.domain.entities import REPS, SCHEMAS, Entity
from territorial.domain.lifecycle import (
    ActivationStatus,
    ChangeKind,
    PlanState,
    StoredActivation,
    StoredChangeSet,
    StoredHold,
    StoredOverride,
)
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
from territorial.domain.users import StoredToken, StoredUser
from territorial.errors import Location
from territorial.rules.to_polars import POLARS_TYPES
from territorial.store import tables
from territorial.store.bulk import insert_frame, read_frame, text_of, upsert_frame

# Emails (or lead ids) looked up per query: well under SQLite's limit on bound parameters.
EMAILS_PER_QUERY = 500
# A stored id beyond a 64-bit integer is in no table, and the drivers refuse to compare with it.
LARGEST_ID = 2**63 - 1


class Repository:
    def __init__(self, connection: Connection, write: bool) -> None:
        self.connection = connection
        self.write = write

    def _writing(self) -> Connection:
        if not self.write:
            raise RuntimeError("this unit of work only reads; open one with write=True and a lock")
        return self.connection


class Plans(Repository):
    def add(
        self, name: str, file_name: str, source: str, created_at: datetime, actor: str | None = None
    ) -> int:
        """A new draft."""
        result = self._writing().execute(
            insert(tables.plans)
            .values(name=name, file_name=file_name, source=source, created_at=created_at, actor=actor)
            .returning(tables.plans.c.plan_id)
        )
        return int(result.scalar_one())

    def get(self, plan_id: int) -> StoredPlan | None:
        if not 0 <= plan_id <= LARGEST_ID:
            return None
        row = self.connection.execute(select(tables.plans).where(tables.plans.c.plan_id == plan_id)).first()
        return None if row is None else _stored_plan(dict(row._mapping))

    def list(self) -> list[StoredPlan]:
        rows = self.connection.execute(select(tables.plans).order_by(tables.plans.c.plan_id)).all()
        return [_stored_plan(dict(row._mapping)) for row in rows]

    def active_id(self) -> int | None:
        """The active plan's id, if any: without its YAML (a 5,000-territory plan's is a megabyte)."""
        plans = tables.plans
        found = self.connection.execute(
            select(plans.c.plan_id).where(plans.c.state == PlanState.ACTIVE.value)
        ).scalar()
        return None if found is None else int(found)

    def active(self) -> StoredPlan | None:
        """The plan the live assignment follows, if any."""
        plans = tables.plans
        row = self.connection.execute(select(plans).where(plans.c.state == PlanState.ACTIVE.value)).first()
        return None if row is None else _stored_plan(dict(row._mapping))

    def replace_source(self, plan_id: int, name: str, file_name: str, source: str) -> None:
        plans = tables.plans
        self._writing().execute(
            update(plans)
            .where(plans.c.plan_id == plan_id)
            .values(name=name, file_name=file_name, source=source)
        )

    def set_state(self, plan_id: int, state: PlanState, effective: date | None) -> None:
        plans = tables.plans
        self._writing().execute(
            update(plans).where(plans.c.plan_id == plan_id).values(state=state.value, effective=effective)
        )

    def keep_files(self, plan_id: int, files: Sequence[PlanFile]) -> None:
        """The files the plan references, in place of those kept before."""
        connection = self._writing()
        kept = tables.plan_files
        connection.execute(delete(kept).where(kept.c.plan_id == plan_id))
        if files:
            connection.execute(
                insert(kept),
                [
                    {"plan_id": plan_id, "path": f.path, "sha256": f.sha256, "content": f.content}
                    for f in files
                ],
            )

    def files(self, plan_id: int) -> tuple[PlanFile, ...]:
        """The files kept with the plan, by path."""
        kept = tables.plan_files
        rows = self.connection.execute(
            select(kept.c.path, kept.c.sha256, kept.c.content)
            .where(kept.c.plan_id == plan_id)
            .order_by(kept.c.path)
        ).all()
        return tuple(PlanFile(row.path, row.sha256, bytes(row.content)) for row in rows)

    def parsed(self, plan_id: int, key: str) -> bytes | None:
        """The plan as parsed and kept under `key` (None: not kept, or kept under another key)."""
        kept = tables.parsed_plans
        content = self.connection.execute(
            select(kept.c.content).where((kept.c.plan_id == plan_id) & (kept.c.key == key))
        ).scalar_one_or_none()
        return None if content is None else bytes(content)

    def keep_parsed(self, plan_id: int, key: str, content: bytes) -> None:
        """The plan as parsed, under `key`, in place of what was kept before."""
        connection, kept = self._writing(), tables.parsed_plans
        connection.execute(delete(kept).where(kept.c.plan_id == plan_id))
        connection.execute(insert(kept).values(plan_id=plan_id, key=key, content=content))

    def run_count(self, plan_id: int) -> int:
        """How many assignment and routing runs name the plan."""
        runs, routing = tables.assignment_runs, tables.routing_runs
        assigned = select(func.count()).select_from(runs).where(runs.c.plan_id == plan_id)
        routed = select(func.count()).select_from(routing).where(routing.c.plan_id == plan_id)
        return int(
            self.connection.execute(assigned).scalar_one() + self.connection.execute(routed).scalar_one()
        )

    def delete(self, plan_id: int) -> None:
        """The plan and its assignment runs; routing runs keep their decisions and the plan's name
        (the routing audit is never deleted) and lose only the plan's id."""
        connection = self._writing()
        runs = select(tables.assignment_runs.c.run_id).where(tables.assignment_runs.c.plan_id == plan_id)
        connection.execute(
            delete(tables.assignment_results).where(tables.assignment_results.c.run_id.in_(runs))
        )
        connection.execute(delete(tables.run_reasons).where(tables.run_reasons.c.run_id.in_(runs)))
        activations = select(tables.activations.c.activation_id).where(
            tables.activations.c.plan_id == plan_id
        )
        kept = tables.baseline_figures
        for kind, ids in (("run", runs), ("activation", activations)):
            connection.execute(delete(kept).where((kept.c.kind == kind) & kept.c.ref_id.in_(ids)))
        connection.execute(delete(tables.assignment_runs).where(tables.assignment_runs.c.plan_id == plan_id))
        routing = tables.routing_runs
        connection.execute(update(routing).where(routing.c.plan_id == plan_id).values(plan_id=None))
        connection.execute(delete(tables.activations).where(tables.activations.c.plan_id == plan_id))
        connection.execute(delete(tables.plan_files).where(tables.plan_files.c.plan_id == plan_id))
        connection.execute(delete(tables.parsed_plans).where(tables.parsed_plans.c.plan_id == plan_id))
        connection.execute(delete(tables.plans).where(tables.plans.c.plan_id == plan_id))


def _stored_plan(row: Mapping[str, Any]) -> StoredPlan:
    return StoredPlan(**{**row, "state": PlanState(row["state"])})


class Records(Repository):
    """Entity records as frames. Accounts keep custom fields as one JSON object of text values;
    they come back, and go in, as columns of text."""

    def read(
        self,
        entity: Entity,
        types: Mapping[str, pl.DataType],
        active_only: bool = False,
    ) -> pl.DataFrame:
        """The records' `types` columns, plus their custom fields when the entity has them."""
        with_custom = SCHEMAS[entity].allows_custom
        wanted = {**types, **({tables.CUSTOM: pl.String()} if with_custom else {})}
        table = tables.ENTITY_TABLES[entity]
        active = [tables.ACTIVE] if active_only else []
        frame = read_frame(self.connection, table, wanted, "WHERE " + active[0] if active else "")
        if not with_custom:
            return frame
        custom = frame.get_column(tables.CUSTOM)
        frame = frame.drop(tables.CUSTOM)
        if custom.null_count() < custom.len():
            decoded = custom.str.json_decode(infer_schema_length=None)
            frame = frame.hstack(decoded.struct.unnest().select(pl.all().cast(pl.String)))
        return frame

    def account_page(
        self,
        after: str | None,
        limit: int,
        equal: Mapping[str, str] | None = None,
        owned_by: Mapping[str, str] | None = None,
        run_id: int | None = None,
    ) -> list[str]:
        """The ids of up to `limit` active accounts after `after`, in binary id order: those whose
        core fields equal `equal` (country, state) and, with `owned_by` (rep_id, territory_id), that
        the live assignment places so in any layer (or, with `run_id`, that run). Filtered and paged
        in SQL, so a page of a million accounts reads a page."""
        accounts = tables.ENTITY_TABLES[Entity.ACCOUNTS]
        live = tables.live_assignments
        if owned_by and run_id is None and "rep_id" in owned_by:
            # Driven by the rep's live rows, in id order from their index (ix_live_assignments_rep):
            # a page of a rep holding thousands reads about a page, where `IN (the rep's accounts)`
            # read them all (13.5 ms against 0.2 ms for a rep of 3,338 accounts on SQLite).
            query = (
                select(live.c.account_id)
                .join(accounts, accounts.c.account_id == live.c.account_id)
                .where(accounts.c[tables.ACTIVE].is_(True))
                .group_by(live.c.account_id)  # one row per account, whatever its layers
            )
            for name, value in owned_by.items():
                query = query.where(live.c[name] == value)
            key = _binary(live.c.account_id, self.connection)
        else:
            query = select(accounts.c.account_id).where(accounts.c[tables.ACTIVE].is_(True))
            if owned_by:
                placed = live if run_id is None else tables.assignment_results
                owned = select(placed.c.account_id)
                if run_id is not None:
                    owned = owned.where(placed.c.run_id == run_id)
                for name, value in owned_by.items():
                    owned = owned.where(placed.c[name] == value)
                query = query.where(accounts.c.account_id.in_(owned))
            key = _binary(accounts.c.account_id, self.connection)
        for name, value in (equal or {}).items():
            query = query.where(accounts.c[name] == value)
        if after is not None:
            query = query.where(key > after)
        ordered = query.order_by(key).limit(limit)
        return [str(row[0]) for row in self.connection.execute(ordered)]

    def ids(self, entity: Entity) -> list[str]:
        """Every record's id, active or not, without the rest of the record (its custom fields above
        all, which take longer to decode than the ids to read)."""
        id_field = SCHEMAS[entity].id_field
        ids = read_frame(self.connection, tables.ENTITY_TABLES[entity], {id_field: pl.String()})
        return ids.get_column(id_field).to_list()  # in bulk (COPY on PostgreSQL): a million at a time

    def account_rows(self, ids: Sequence[str]) -> list[dict[str, Any]]:
        """A page of active accounts by id, as rows (core fields typed, `custom` a dict of text),
        in no particular order: a page's hundred rows without the fixed costs of frames, which
        were most of GET /accounts' time."""
        accounts = tables.ENTITY_TABLES[Entity.ACCOUNTS]
        fields = SCHEMAS[Entity.ACCOUNTS].fields
        found = self.connection.execute(
            select(*(accounts.c[name] for name in fields), accounts.c[tables.CUSTOM])
            .where(accounts.c[tables.ACTIVE].is_(True))
            .where(accounts.c.account_id.in_(list(ids)))
        )
        numbers = {name for name, ftype in fields.items() if POLARS_TYPES[ftype] == pl.Float64()}
        rows = []
        for row in found:
            values = dict(row._mapping)
            custom = values.pop(tables.CUSTOM)
            typed: dict[str, Any] = {
                name: None if value is None else float(value) if name in numbers else str(value)
                for name, value in values.items()
            }
            decoded = json.loads(custom) if custom else {}
            typed["custom"] = {name: None if v is None else str(v) for name, v in decoded.items()}
            rows.append(typed)
        return rows

    def count(self, entity: Entity, active_only: bool = False) -> int:
        table = tables.ENTITY_TABLES[entity]
        query = select(func.count()).select_from(table)
        if active_only:
            query = query.where(table.c[tables.ACTIVE])
        return int(self.connection.execute(query).scalar_one())

    def custom_fields(self, entity: Entity, active_only: bool = False) -> list[str]:
        """The names of the records' custom fields, sorted, read without their values: a plan is
        checked against a book's field names (on 200,000 accounts, 0.3 s, where reading and typing
        every account took 2.7 s)."""
        if not SCHEMAS[entity].allows_custom:
            return []
        table = tables.ENTITY_TABLES[entity].name
        active = f" AND {tables.ACTIVE}" if active_only else ""
        if self.connection.dialect.name == "postgresql":
            keys = f"SELECT DISTINCT json_object_keys({tables.CUSTOM}::json) FROM {table}"
        else:
            keys = f"SELECT DISTINCT j.key FROM {table}, json_each({table}.{tables.CUSTOM}) AS j"
        query = f"{keys} WHERE {table}.{tables.CUSTOM} IS NOT NULL{active}"
        return sorted(str(row[0]) for row in self.connection.exec_driver_sql(query))

    def distinct_custom_values(
        self, entity: Entity, name: str, active_only: bool = False
    ) -> list[str | None]:
        """The distinct values of one custom field (text; None for a record without it), unordered:
        what decides the field's type, read without every record (0.2 s on 200,000 accounts)."""
        table = tables.ENTITY_TABLES[entity].name
        where = f" WHERE {tables.ACTIVE}" if active_only else ""
        if self.connection.dialect.name == "postgresql":
            value = f"{tables.CUSTOM}::json ->> %(name)s"
            parameters: Any = {"name": name}
        else:
            value = f"json_extract({tables.CUSTOM}, ?)"
            parameters = (f'$."{name}"',)  # custom field names are [a-z0-9_] (crm_mappings.field_name)
        rows = self.connection.exec_driver_sql(f"SELECT DISTINCT {value} FROM {table}{where}", parameters)
        return [None if row[0] is None else str(row[0]) for row in rows]

    def some_fields(
        self,
        entity: Entity,
        types: Mapping[str, pl.DataType],
        custom: Sequence[str],
        active_only: bool = False,
        ids: Sequence[str] | None = None,
    ) -> pl.DataFrame:
        """The records' `types` columns and only the `custom` fields named (text; null where a
        record has none), rather than every custom field `read` decodes; with `ids`, only the
        records of those ids (an import re-evaluates the 10,000 accounts it changed of a million)."""
        wanted = {**types, **({tables.CUSTOM: pl.String()} if custom else {})}
        table = tables.ENTITY_TABLES[entity]
        active = [tables.ACTIVE] if active_only else []
        if ids is None:
            where = f"WHERE {tables.ACTIVE}" if active_only else ""
            frame = read_frame(self.connection, table, wanted, where)
        else:
            id_field = SCHEMAS[entity].id_field
            frame = pl.concat(
                [
                    read_frame(self.connection, table, wanted, "WHERE " + " AND ".join([*active, batch]))
                    for batch in _in_lists(id_field, ids)
                ],
                how="vertical",
            )
        if not custom:
            return frame
        values = pl.col(tables.CUSTOM).str.json_path_match
        return frame.with_columns(values(f"$.{name}").alias(name) for name in custom).drop(tables.CUSTOM)

    def upsert(self, entity: Entity, rows: pl.DataFrame, custom_fields: Sequence[str] | None = None) -> None:
        """Insert new records and overwrite the given columns of stored ones. With `custom_fields`,
        those columns become the records' whole custom-field object (keys sorted, so the same data
        is always the same text; no keys: none)."""
        schema = SCHEMAS[entity]
        if custom_fields is not None and schema.allows_custom:
            keys = sorted(custom_fields)
            if keys:
                encoded = pl.struct([text_of(k, rows.schema[k]).alias(k) for k in keys]).struct.json_encode()
            else:
                encoded = pl.lit(None, pl.String)
            rows = rows.with_columns(encoded.alias(tables.CUSTOM)).drop(keys)
        upsert_frame(self._writing(), tables.ENTITY_TABLES[entity], rows, [schema.id_field])

    def add_history(self, changes: pl.DataFrame) -> None:
        """import_id, entity, record_id, field, old_value, new_value, changed_at, source_file."""
        insert_frame(self._writing(), tables.history, changes)

    def history_of(self, entity: Entity, record_id: str) -> pl.DataFrame:
        """field, old_value, new_value of every change kept for one record, oldest first."""
        history = tables.history
        rows = self.connection.execute(
            select(history.c.field, history.c.old_value, history.c.new_value)
            .where(history.c.entity == entity.value, history.c.record_id == record_id)
            .order_by(history.c.change_id)
        ).all()
        return pl.DataFrame(
            rows, schema={"field": pl.String, "old_value": pl.String, "new_value": pl.String}, orient="row"
        )

    def history_since(self, import_id: int) -> pl.DataFrame:
        """import_id, entity, record_id, field, old_value, new_value of every change kept by that
        import and the ones after it, oldest first."""
        history = tables.history
        rows = self.connection.execute(
            select(
                history.c.import_id,
                history.c.entity,
                history.c.record_id,
                history.c.field,
                history.c.old_value,
                history.c.new_value,
            )
            .where(history.c.import_id >= import_id)
            .order_by(history.c.change_id)
        ).all()
        return pl.DataFrame(rows, schema=HISTORY_SINCE, orient="row")

    def add_normalizations(self, summary: pl.DataFrame) -> None:
        """import_id, field, old_value, new_value, rule, rows."""
        insert_frame(self._writing(), tables.normalizations, summary)


HISTORY_SINCE = {
    "import_id": pl.Int64,
    "entity": pl.String,
    "record_id": pl.String,
    "field": pl.String,
    "old_value": pl.String,
    "new_value": pl.String,
}


class Reps(Repository):
    WHERE = "workspace reps"

    def list(self) -> list[Rep]:
        """Every rep, active or not, sorted by rep_id."""
        types = {name: POLARS_TYPES[ftype] for name, ftype in REPS.fields.items()}
        frame = read_frame(self.connection, tables.ENTITY_TABLES[Entity.REPS], types).sort("rep_id")
        return reps_from_records(
            frame.to_dicts(), lambda _row, field: Location(self.WHERE, subject=field or None)
        )


class Imports(Repository):
    def start(
        self,
        entity: Entity,
        source_file: str,
        mapping: str | None,
        started_at: datetime,
        rows: int,
        actor: str | None = None,
    ) -> int:
        return int(
            self._writing()
            .execute(
                insert(tables.imports)
                .values(
                    entity=entity.value,
                    source_file=source_file,
                    mapping=mapping,
                    started_at=started_at,
                    rows_read=rows,
                    actor=actor,
                )
                .returning(tables.imports.c.import_id)
            )
            .scalar_one()
        )

    def finish(self, import_id: int, finished_at: datetime, counts: ImportCounts) -> None:
        self._writing().execute(
            update(tables.imports)
            .where(tables.imports.c.import_id == import_id)
            .values(
                finished_at=finished_at,
                inserted=counts.inserted,
                updated=counts.updated,
                unchanged=counts.unchanged,
                deactivated=counts.deactivated,
            )
        )

    def counts(self, import_id: int) -> ImportCounts | None:
        """What a finished import did; None for an unknown or unfinished one."""
        imports = tables.imports
        row = self.connection.execute(
            select(imports.c.inserted, imports.c.updated, imports.c.unchanged, imports.c.deactivated).where(
                imports.c.import_id == import_id, imports.c.finished_at.is_not(None)
            )
        ).first()
        return None if row is None else ImportCounts(*row)

    def with_source(self, source_file: str) -> int | None:
        """The first import read from `source_file` (an undo is kept as `undo of import N`)."""
        imports = tables.imports
        value = self.connection.execute(
            select(imports.c.import_id)
            .where(imports.c.source_file == source_file)
            .order_by(imports.c.import_id)
            .limit(1)
        ).scalar()
        return None if value is None else int(value)

    def entity_of(self, import_id: int) -> Entity | None:
        """What a finished import imported; None for an unknown or unfinished one."""
        imports = tables.imports
        value = self.connection.execute(
            select(imports.c.entity).where(
                imports.c.import_id == import_id, imports.c.finished_at.is_not(None)
            )
        ).scalar()
        return None if value is None else Entity(value)

    def latest_finished(self) -> int:
        """The id of the newest finished import (0: none yet): part of the workspace's version."""
        imports = tables.imports
        value = self.connection.execute(
            select(func.max(imports.c.import_id)).where(imports.c.finished_at.is_not(None))
        ).scalar()
        return 0 if value is None else int(value)

    def latest_mapping(self, entity: Entity) -> str | None:
        """The mapping the latest import of `entity` used (None: none, or no import yet)."""
        mapping = self.connection.execute(
            select(tables.imports.c.mapping)
            .where(tables.imports.c.entity == entity.value)
            .order_by(tables.imports.c.import_id.desc())
            .limit(1)
        ).scalar()
        return None if mapping is None else str(mapping)


# The columns of a stored assignment result, as `territorial assign` writes them (reason apart).
RESULT_TYPES = {
    "account_id": pl.String(),
    "layer": pl.String(),
    "territory_id": pl.String(),
    "territory_name": pl.String(),
    "rep_id": pl.String(),
    "overlaps": pl.String(),
    "tie": pl.Boolean(),
    "workload": pl.Float64(),
    "reason_id": pl.Int64(),
}


class AssignmentRuns(Repository):
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
        """A run with its results (the RESULT_TYPES columns; reason_id indexes `reasons`)."""
        connection = self._writing()
        run_id = int(
            connection.execute(
                insert(tables.assignment_runs)
                .values(
                    plan_id=plan_id,
                    started_at=started_at,
                    accounts=accounts,
                    unassigned=unassigned,
                    ties=ties,
                    actor=actor,
                )
                .returning(tables.assignment_runs.c.run_id)
            ).scalar_one()
        )
        texts = pl.DataFrame({"text": list(reasons)}, schema={"text": pl.String}).with_row_index("reason_id")
        insert_frame(
            connection,
            tables.run_reasons,
            texts.select(pl.lit(run_id).alias("run_id"), pl.col("reason_id").cast(pl.Int64), "text"),
        )
        insert_frame(
            connection,
            tables.assignment_results,
            results.select(pl.lit(run_id).alias("run_id"), *RESULT_TYPES),
        )
        return run_id

    def latest_id(self) -> int:
        """The id of the newest run (0: none yet)."""
        value = self.connection.execute(select(func.max(tables.assignment_runs.c.run_id))).scalar()
        return 0 if value is None else int(value)

    def finish(self, run_id: int, finished_at: datetime) -> None:
        runs = tables.assignment_runs
        self._writing().execute(update(runs).where(runs.c.run_id == run_id).values(finished_at=finished_at))

    def list(self) -> list[StoredRunInfo]:
        """Every run, oldest first."""
        rows = self.connection.execute(
            select(tables.assignment_runs).order_by(tables.assignment_runs.c.run_id)
        ).all()
        return [StoredRunInfo(**row._mapping) for row in rows]

    def get(self, run_id: int) -> StoredRunInfo | None:
        if not 0 <= run_id <= LARGEST_ID:
            return None
        runs = tables.assignment_runs
        row = self.connection.execute(select(runs).where(runs.c.run_id == run_id)).first()
        return None if row is None else StoredRunInfo(**row._mapping)

    def results(self, run_id: int) -> pl.DataFrame | None:
        """A stored run's rows with their reason text (`reason`), in no particular order; None when
        there is no such run."""
        runs = tables.assignment_runs
        exists = (
            0 <= run_id <= LARGEST_ID
            and self.connection.execute(
                select(func.count()).select_from(runs).where(runs.c.run_id == run_id)
            ).scalar_one()
        )
        if not exists:
            return None
        where = f"WHERE run_id = {int(run_id)}"
        rows = read_frame(self.connection, tables.assignment_results, RESULT_TYPES, where)
        reasons = read_frame(
            self.connection, tables.run_reasons, {"reason_id": pl.Int64(), "text": pl.String()}, where
        )
        return rows.join(reasons.rename({"text": "reason"}), on="reason_id", how="left").drop("reason_id")


# The columns of a stored routing decision, as the audit keeps them.
DECISION_TYPES = {
    "lead_id": pl.String(),
    "email": pl.String(),
    "lead_day": pl.Date(),
    "decision": pl.String(),
    "rep_id": pl.String(),
    "territory_id": pl.String(),
    "matched_account_id": pl.String(),
    "score": pl.Int64(),
    "relevance": pl.Float64(),
    "product": pl.String(),
    "queue": pl.String(),
    "in_pool": pl.Boolean(),
    "reason": pl.String(),
    "path": pl.String(),  # JSON list of {step, inputs, outcome}
    "crm_owner": pl.String(),
    "crm_owner_rep_id": pl.String(),
}

LATEST_TYPES = {
    "lead_id": pl.String(),
    "rep_id": pl.String(),
    "territory_id": pl.String(),
    "matched_account_id": pl.String(),
    "decision": pl.String(),
}
HISTORY_TYPES = {
    "decision_id": pl.Int64(),
    "route_run_id": pl.Int64(),
    "lead_id": pl.String(),
    "lead_day": pl.Date(),
    "decision": pl.String(),
    "rep_id": pl.String(),
    "queue": pl.String(),
    "crm_owner": pl.String(),
    "crm_owner_rep_id": pl.String(),
}
POOLED_TYPES = {"territory_id": pl.String(), "rep_id": pl.String(), "score": pl.Int64()}
POOL_WEIGHT_TYPES = {"territory_id": pl.String(), "rep_id": pl.String(), "weight": pl.Float64()}
# Up to this many rows, a write is plain executemany rather than a polars frame (COPY, executemany).
FEW_ROWS = 64


class RoutingAudit(Repository):
    """Routing runs, their decisions with their paths, and where each pool's round robin stands."""

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
        """A routing run with its decisions (rows of the DECISION_TYPES columns) and the lead weight
        of each rep in the pools it shared leads in (territory_id, rep_id, weight)."""
        connection = self._writing()
        run_id = int(
            connection.execute(
                insert(tables.routing_runs)
                .values(
                    plan_id=plan_id,
                    plan_name=plan_name,
                    source=source,
                    started_at=started_at,
                    leads=len(decisions),
                    actor=actor,
                )
                .returning(tables.routing_runs.c.route_run_id)
            ).scalar_one()
        )
        if len(decisions) <= FEW_ROWS:  # a request's few leads: a frame's fixed cost would dominate
            if decisions:
                connection.execute(
                    insert(tables.routing_decisions), [{**row, "route_run_id": run_id} for row in decisions]
                )
        else:
            frame = pl.DataFrame(list(decisions), schema=DECISION_TYPES, orient="row")
            insert_frame(
                connection,
                tables.routing_decisions,
                frame.select(pl.lit(run_id).alias("route_run_id"), *DECISION_TYPES),
            )
        if weights:
            connection.execute(
                insert(tables.routing_pool_weights),
                [
                    {"route_run_id": run_id, "territory_id": t, "rep_id": r, "weight": w}
                    for t, r, w in weights
                ],
            )
        return run_id

    def finish_run(self, route_run_id: int, finished_at: datetime) -> None:
        runs = tables.routing_runs
        self._writing().execute(
            update(runs).where(runs.c.route_run_id == route_run_id).values(finished_at=finished_at)
        )

    def save_pools(
        self, states: Mapping[str, Any], updated_at: datetime, route_run_id: int | None = None
    ) -> None:
        """Where the given pools' round robins now stand (territory_id -> state, kept as JSON). With
        `route_run_id`, where they stood before is kept as that run's pool moves, for `route undo`."""
        if not states:
            return
        pools = tables.routing_pools
        connection = self._writing()
        if route_run_id is not None:
            before = dict(
                connection.execute(
                    select(pools.c.territory_id, pools.c.state).where(pools.c.territory_id.in_(states))
                ).all()
            )
            connection.execute(
                insert(tables.routing_pool_moves),
                [
                    {"route_run_id": route_run_id, "territory_id": t, "state_before": before.get(t)}
                    for t in sorted(states)
                ],
            )
        connection.execute(delete(pools).where(pools.c.territory_id.in_(states)))
        connection.execute(
            insert(pools),
            [
                {"territory_id": t, "state": json.dumps(state, sort_keys=True), "updated_at": updated_at}
                for t, state in sorted(states.items())
            ],
        )

    def latest_run_id(self) -> int:
        """The last routing run's id (0 before any): a router that has seen it holds every pool."""
        latest = self.connection.execute(select(func.max(tables.routing_runs.c.route_run_id))).scalar()
        return int(latest or 0)

    def pools_moved_since(self, route_run_id: int) -> dict[str, Any]:
        """territory_id -> the stored state of each pool a routing run after `route_run_id` moved:
        what another process routed since this one last looked."""
        pools, moves = tables.routing_pools, tables.routing_pool_moves
        moved = select(moves.c.territory_id).where(moves.c.route_run_id > route_run_id)
        rows = self.connection.execute(
            select(pools.c.territory_id, pools.c.state).where(pools.c.territory_id.in_(moved))
        ).all()
        return {row.territory_id: json.loads(row.state) for row in rows}

    def undone_runs(self) -> int:
        """How many routing runs were undone: an undo puts pools back, so routers load them again."""
        runs = tables.routing_runs
        undone = select(func.count()).select_from(runs).where(runs.c.undone_at.is_not(None))
        return int(self.connection.execute(undone).scalar_one())

    def pools(self) -> dict[str, Any]:
        """territory_id -> the stored state of its round robin."""
        pools = tables.routing_pools
        rows = self.connection.execute(select(pools.c.territory_id, pools.c.state)).all()
        return {row.territory_id: json.loads(row.state) for row in rows}

    def earlier_leads(self, emails: Iterable[str], since: date) -> dict[str, EarlierLead]:
        """Per email, the latest stored lead from it that reached a rep on or after `since`."""
        decisions = tables.routing_decisions
        found: dict[str, EarlierLead] = {}
        wanted = sorted(set(emails))
        for start in range(0, len(wanted), EMAILS_PER_QUERY):
            rows = self.connection.execute(
                select(
                    decisions.c.email,
                    decisions.c.lead_id,
                    decisions.c.lead_day,
                    decisions.c.rep_id,
                    decisions.c.territory_id,
                )
                .where(
                    decisions.c.email.in_(wanted[start : start + EMAILS_PER_QUERY]),
                    decisions.c.rep_id.is_not(None),
                    decisions.c.lead_day >= since,
                )
                .order_by(decisions.c.lead_day, decisions.c.decision_id)
            ).all()
            for row in rows:  # in date order, so the latest lead of each email is kept
                found[row.email] = EarlierLead(
                    row.email, row.lead_id, row.lead_day, row.rep_id, row.territory_id
                )
        return found

    def routed_among(self, lead_ids: Iterable[str]) -> set[str]:
        """Which of these leads have a stored decision (were routed at least once)."""
        decisions = tables.routing_decisions
        wanted = sorted(set(lead_ids))
        found: set[str] = set()
        for start in range(0, len(wanted), EMAILS_PER_QUERY):
            rows = self.connection.execute(
                select(decisions.c.lead_id)
                .where(decisions.c.lead_id.in_(wanted[start : start + EMAILS_PER_QUERY]))
                .distinct()
            ).all()
            found.update(row.lead_id for row in rows)
        return found

    def latest_decisions_for(self, lead_ids: Iterable[str]) -> dict[str, StoredDecision]:
        """lead_id -> its latest stored decision, for those of these leads that were routed."""
        decisions, runs = tables.routing_decisions, tables.routing_runs
        wanted = sorted(set(lead_ids))
        found: dict[str, StoredDecision] = {}
        for start in range(0, len(wanted), EMAILS_PER_QUERY):
            rows = self.connection.execute(
                select(decisions, runs.c.source, runs.c.plan_name)
                .join(runs, runs.c.route_run_id == decisions.c.route_run_id)
                .where(decisions.c.lead_id.in_(wanted[start : start + EMAILS_PER_QUERY]))
                .order_by(decisions.c.decision_id)
            ).all()
            for row in rows:  # in decision order, so each lead's latest is kept
                found[row.lead_id] = _stored_decision(row)
        return found

    def decision_history(self, route_run_id: int | None = None, since: date | None = None) -> pl.DataFrame:
        """Every stored decision (HISTORY_TYPES) of the leads that have one in routing run
        `route_run_id`, or dated on or after `since`: what `export decisions` compares owners with."""
        decisions = tables.routing_decisions
        chosen = select(decisions.c.lead_id)
        if route_run_id is not None:
            chosen = chosen.where(decisions.c.route_run_id == route_run_id)
        if since is not None:
            chosen = chosen.where(decisions.c.lead_day >= since)
        rows = self.connection.execute(
            select(*(decisions.c[name] for name in HISTORY_TYPES))
            .where(decisions.c.lead_id.in_(chosen.distinct()))
            .order_by(decisions.c.decision_id)
        ).all()
        return pl.DataFrame(rows, schema=HISTORY_TYPES, orient="row")

    def routing_run(self, route_run_id: int) -> StoredRoutingRun | None:
        """A routing run, the pools it moved, and the later runs (not undone) that moved one of them."""
        runs, moves = tables.routing_runs, tables.routing_pool_moves
        run = self.connection.execute(select(runs).where(runs.c.route_run_id == route_run_id)).first()
        if run is None:
            return None
        pools = self.connection.execute(
            select(moves.c.territory_id)
            .where(moves.c.route_run_id == route_run_id)
            .order_by(moves.c.territory_id)
        ).scalars()
        moved = tuple(pools)
        later = self.connection.execute(
            select(moves.c.route_run_id)
            .join(runs, runs.c.route_run_id == moves.c.route_run_id)
            .where(
                moves.c.route_run_id > route_run_id,
                moves.c.territory_id.in_(moved),
                runs.c.undone_at.is_(None),
            )
            .distinct()
            .order_by(moves.c.route_run_id.desc())
        ).scalars()
        return StoredRoutingRun(run.route_run_id, run.source, run.leads, run.undone_at, moved, tuple(later))

    def undo_run(self, route_run_id: int, undone_at: datetime, actor: str | None = None) -> None:
        """Take back a run: its decisions and pool weights go, each pool it moved is put back where it
        stood before (a pool it created goes), and the run is kept, marked undone, for the audit."""
        connection = self._writing()
        moves, pools = tables.routing_pool_moves, tables.routing_pools
        before = connection.execute(
            select(moves.c.territory_id, moves.c.state_before).where(moves.c.route_run_id == route_run_id)
        ).all()
        connection.execute(delete(pools).where(pools.c.territory_id.in_([row[0] for row in before])))
        restored = [
            {"territory_id": territory, "state": state, "updated_at": undone_at}
            for territory, state in sorted(before)
            if state is not None
        ]
        if restored:
            connection.execute(insert(pools), restored)
        for table in (tables.routing_decisions, tables.routing_pool_weights):
            connection.execute(delete(table).where(table.c.route_run_id == route_run_id))
        runs = tables.routing_runs
        connection.execute(
            update(runs)
            .where(runs.c.route_run_id == route_run_id)
            .values(undone_at=undone_at, undone_by=actor)
        )

    def decisions_for(self, lead_id: str) -> list[StoredDecision]:
        """Every stored decision for a lead, oldest first."""
        decisions, runs = tables.routing_decisions, tables.routing_runs
        rows = self.connection.execute(
            select(decisions, runs.c.source, runs.c.plan_name)
            .join(runs, runs.c.route_run_id == decisions.c.route_run_id)
            .where(decisions.c.lead_id == lead_id)
            .order_by(decisions.c.decision_id)
        ).all()
        return [_stored_decision(row) for row in rows]

    def leads_of(self, rep_ids: Iterable[str]) -> set[str]:
        """The leads whose latest decision went to one of these reps (a rep's or a team's leads),
        found through the reps' decisions rather than every lead's."""
        decisions = tables.routing_decisions
        later = decisions.alias("later")
        newer = (
            select(later.c.decision_id)
            .where(later.c.lead_id == decisions.c.lead_id, later.c.decision_id > decisions.c.decision_id)
            .exists()
        )
        wanted = sorted(set(rep_ids))
        found: set[str] = set()
        for start in range(0, len(wanted), _IDS_PER_STATEMENT):
            chunk = wanted[start : start + _IDS_PER_STATEMENT]
            query = select(decisions.c.lead_id).where(decisions.c.rep_id.in_(chunk), ~newer)
            found |= {str(lead_id) for lead_id in self.connection.execute(query).scalars()}
        return found

    def decision_territories(self) -> set[str]:
        """Every territory a stored decision names."""
        decisions = tables.routing_decisions
        query = select(decisions.c.territory_id).where(decisions.c.territory_id.is_not(None)).distinct()
        return {str(value) for value in self.connection.execute(query).scalars()}

    def latest_decisions(self) -> pl.DataFrame:
        """lead_id, rep_id, territory_id, matched_account_id, decision of each lead's latest stored
        decision: whom the lead went to."""
        decisions = tables.routing_decisions
        latest = select(func.max(decisions.c.decision_id)).group_by(decisions.c.lead_id).scalar_subquery()
        rows = self.connection.execute(
            select(*(decisions.c[name] for name in LATEST_TYPES)).where(decisions.c.decision_id.in_(latest))
        ).all()
        return pl.DataFrame(rows, schema=LATEST_TYPES, orient="row")

    def pooled_leads(
        self, start: date | None, end: date | None, route_run_id: int | None = None
    ) -> pl.DataFrame:
        """route_run_id, territory_id, rep_id, score of the leads shared by round robin, dated from
        `start` to `end` (inclusive) or of one routing run."""
        decisions = tables.routing_decisions
        rows = self.connection.execute(
            select(
                decisions.c.route_run_id, decisions.c.territory_id, decisions.c.rep_id, decisions.c.score
            ).where(*_pooled(start, end, route_run_id))
        ).all()
        return pl.DataFrame(rows, schema={"route_run_id": pl.Int64, **POOLED_TYPES}, orient="row")

    def pool_weights(
        self, start: date | None, end: date | None, route_run_id: int | None = None
    ) -> pl.DataFrame:
        """route_run_id, territory_id, rep_id, weight: the pools' weights in the runs that shared the
        leads `pooled_leads` gives for the same arguments (none for runs stored before weights were)."""
        decisions, weights = tables.routing_decisions, tables.routing_pool_weights
        runs = select(decisions.c.route_run_id).where(*_pooled(start, end, route_run_id)).distinct()
        rows = self.connection.execute(
            select(weights.c.route_run_id, *(weights.c[name] for name in POOL_WEIGHT_TYPES)).where(
                weights.c.route_run_id.in_(runs)
            )
        ).all()
        return pl.DataFrame(rows, schema={"route_run_id": pl.Int64, **POOL_WEIGHT_TYPES}, orient="row")


def _stored_decision(row: Any) -> StoredDecision:
    return StoredDecision(
        route_run_id=row.route_run_id,
        lead_id=row.lead_id,
        lead_day=row.lead_day,
        decision=row.decision,
        rep_id=row.rep_id,
        territory_id=row.territory_id,
        matched_account_id=row.matched_account_id,
        score=row.score,
        relevance=row.relevance,
        product=row.product,
        queue=row.queue,
        reason=row.reason,
        path=json.loads(row.path),
        source=row.source,
        plan_name=row.plan_name,
    )


def _pooled(start: date | None, end: date | None, route_run_id: int | None) -> list[ColumnElement[bool]]:
    """The leads shared by round robin, dated from `start` to `end` (inclusive) or of one run."""
    decisions = tables.routing_decisions
    conditions: list[ColumnElement[bool]] = [decisions.c.in_pool.is_(True)]
    if start is not None:
        conditions.append(decisions.c.lead_day >= start)
    if end is not None:
        conditions.append(decisions.c.lead_day <= end)
    if route_run_id is not None:
        conditions.append(decisions.c.route_run_id == route_run_id)
    return conditions


class Activations(Repository):
    """Requests to make a plan active on a day, and what became of them."""

    def add(
        self,
        plan_id: int,
        effective: date,
        from_state: PlanState,
        requested_at: datetime,
        actor: str | None = None,
        skipped_checks: bool = False,
    ) -> int:
        """A scheduled activation."""
        result = self._writing().execute(
            insert(tables.activations)
            .values(
                plan_id=plan_id,
                effective=effective,
                status=ActivationStatus.SCHEDULED.value,
                from_state=from_state.value,
                requested_at=requested_at,
                skipped_checks=skipped_checks,
                actor=actor,
            )
            .returning(tables.activations.c.activation_id)
        )
        return int(result.scalar_one())

    def mark(self, activation_id: int, status: ActivationStatus, applied_at: datetime | None = None) -> None:
        activations = tables.activations
        self._writing().execute(
            update(activations)
            .where(activations.c.activation_id == activation_id)
            .values(status=status.value, applied_at=applied_at)
        )

    def history(self) -> list[StoredActivation]:
        """Every activation, oldest request first."""
        activations = tables.activations
        rows = self.connection.execute(select(activations).order_by(activations.c.activation_id)).all()
        return [_activation(dict(row._mapping)) for row in rows]

    def on_day(self, effective: date) -> list[StoredActivation]:
        """The scheduled or applied activations of a day."""
        activations = tables.activations
        rows = self.connection.execute(
            select(activations)
            .where(
                activations.c.effective == effective,
                activations.c.status != ActivationStatus.CANCELLED.value,
            )
            .order_by(activations.c.activation_id)
        ).all()
        return [_activation(dict(row._mapping)) for row in rows]

    def due(self, today: date) -> list[StoredActivation]:
        """The scheduled activations whose day has come, in date order."""
        activations = tables.activations
        rows = self.connection.execute(
            select(activations)
            .where(activations.c.status == ActivationStatus.SCHEDULED.value, activations.c.effective <= today)
            .order_by(activations.c.effective, activations.c.activation_id)
        ).all()
        return [_activation(dict(row._mapping)) for row in rows]

    def scheduled_of(self, plan_id: int) -> StoredActivation | None:
        activations = tables.activations
        row = self.connection.execute(
            select(activations).where(
                activations.c.plan_id == plan_id, activations.c.status == ActivationStatus.SCHEDULED.value
            )
        ).first()
        return None if row is None else _activation(dict(row._mapping))


def _activation(row: Mapping[str, Any]) -> StoredActivation:
    return StoredActivation(
        **{**row, "status": ActivationStatus(row["status"]), "from_state": PlanState(row["from_state"])}
    )


# The current roster: who covers each territory, in pool order.
ROSTER_TYPES = {"territory_id": pl.String(), "rep_id": pl.String(), "position": pl.Int64()}


class Roster(Repository):
    def current(self) -> pl.DataFrame:
        """territory_id, rep_id, position of the rows still in force, by territory and position."""
        rows = read_frame(self.connection, tables.roster, ROSTER_TYPES, "WHERE valid_to IS NULL")
        return rows.sort("territory_id", "position")

    def start(self, activation_id: int, rows: pl.DataFrame, valid_from: date) -> None:
        """A new roster (ROSTER_TYPES columns) from `valid_from`: the rows in force end that day."""
        connection = self._writing()
        roster = tables.roster
        connection.execute(update(roster).where(roster.c.valid_to.is_(None)).values(valid_to=valid_from))
        insert_frame(
            connection,
            roster,
            rows.select(
                pl.lit(activation_id, pl.Int64).alias("activation_id"),
                *ROSTER_TYPES,
                pl.lit(valid_from, pl.Date).alias("valid_from"),
            ),
        )

    def end(self, rep_id: str, valid_to: date, territories: Sequence[str] | None = None) -> None:
        """The rep's rows in force (only those of `territories`, when given) end on `valid_to`."""
        roster = tables.roster
        ending = update(roster).where(roster.c.valid_to.is_(None), roster.c.rep_id == rep_id)
        if territories is not None:
            ending = ending.where(roster.c.territory_id.in_(list(territories)))
        self._writing().execute(ending.values(valid_to=valid_to))

    def join(self, activation_id: int | None, territory_id: str, rep_id: str, valid_from: date) -> None:
        """The rep in the territory's pool from `valid_from`, last in pool order."""
        roster = tables.roster
        last = self.connection.execute(
            select(func.max(roster.c.position)).where(
                roster.c.valid_to.is_(None), roster.c.territory_id == territory_id
            )
        ).scalar()
        self._writing().execute(
            insert(roster).values(
                activation_id=activation_id,
                territory_id=territory_id,
                rep_id=rep_id,
                position=0 if last is None else int(last) + 1,
                valid_from=valid_from,
            )
        )

    def history(self) -> pl.DataFrame:
        """Every row, ended ones too (ROSTER_HISTORY_TYPES), by territory, valid_from and position."""
        rows = read_frame(self.connection, tables.roster, ROSTER_HISTORY_TYPES)
        return rows.sort("territory_id", "valid_from", "position", "rep_id")


ROSTER_HISTORY_TYPES = {**ROSTER_TYPES, "valid_from": pl.Date(), "valid_to": pl.Date()}


class RosterChanges(Repository):
    """Roster changes asked for: scheduled until a tick applies them (or `rep cancel` cancels them)."""

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
        """A scheduled change; its id."""
        changes = tables.roster_changes
        result = self._writing().execute(
            insert(changes)
            .values(
                kind=kind.value,
                rep_id=rep_id,
                territory_id=territory_id,
                book_until=book_until,
                effective=effective,
                status=RosterChangeStatus.SCHEDULED.value,
                requested_at=requested_at,
                actor=actor,
            )
            .returning(changes.c.change_id)
        )
        return int(result.scalar_one())

    def mark(
        self, change_id: int, status: RosterChangeStatus, at: datetime | None = None, note: str | None = None
    ) -> None:
        changes = tables.roster_changes
        self._writing().execute(
            update(changes)
            .where(changes.c.change_id == change_id)
            .values(status=status.value, applied_at=at, note=note)
        )

    def _listed(self, *conditions: ColumnElement[bool]) -> list[StoredRosterChange]:
        changes = tables.roster_changes
        rows = self.connection.execute(
            select(changes).where(*conditions).order_by(changes.c.effective, changes.c.change_id)
        ).all()
        return [
            StoredRosterChange(
                **{
                    **row._mapping,
                    "kind": RosterChangeKind(row.kind),
                    "status": RosterChangeStatus(row.status),
                }
            )
            for row in rows
        ]

    def all(self) -> list[StoredRosterChange]:
        """Every change, by effective day then id."""
        return self._listed()

    def pending(self, by: date | None = None) -> list[StoredRosterChange]:
        """The scheduled changes (those due by `by`, when given), by effective day then id."""
        changes = tables.roster_changes
        scheduled = changes.c.status == RosterChangeStatus.SCHEDULED.value
        if by is None:
            return self._listed(scheduled)
        return self._listed(scheduled, changes.c.effective <= by)


# A live row as stored (engine.live.LIVE_COLUMNS, with the activation that wrote it).
LIVE_TYPES = {
    "account_id": pl.String(),
    "layer": pl.String(),
    "territory_id": pl.String(),
    "rep_id": pl.String(),
    "overlaps": pl.String(),
    "tie": pl.Boolean(),
    "reason": pl.String(),
    "cause": pl.String(),
    "since": pl.Date(),
    "activation_id": pl.Int64(),
}


# Account ids per DELETE ... IN (...): below SQLite's 32,766 bound parameters.
_IDS_PER_STATEMENT = 10_000


def _binary(column: ColumnElement[Any], connection: Connection) -> ColumnElement[Any]:
    """Text compared by its characters' code points, as pages and polars sort: SQLite's default;
    PostgreSQL's follows the database's locale unless told "C"."""
    return column.collate("C") if connection.dialect.name == "postgresql" else column


def _in_lists(column: str, values: Iterable[str]) -> list[str]:
    """`column IN ('a', 'b', ...)` texts of at most _IDS_PER_STATEMENT values each (at least one,
    which matches nothing when there are no values), for read_frame's bulk reads, which take no
    bound parameters (COPY on PostgreSQL). Quotes are doubled: standard SQL on both databases."""
    unique = sorted(set(values))
    if not unique:
        return ["1 = 0"]
    quoted = ["'" + value.replace("'", "''") + "'" for value in unique]
    return [
        f"{column} IN ({', '.join(quoted[start : start + _IDS_PER_STATEMENT])})"
        for start in range(0, len(quoted), _IDS_PER_STATEMENT)
    ]


class LiveAssignments(Repository):
    """The live rows, their reasons kept once each in live_reasons and given back as text."""

    def rows(self, columns: Sequence[str] | None = None) -> pl.DataFrame:
        """Every live row, in no particular order: the LIVE_TYPES `columns` (default all). Reading
        only those needed saves time on a million rows."""
        wanted = list(columns or LIVE_TYPES)
        types = {name: LIVE_TYPES[name] for name in wanted if name != "reason"}
        if "reason" not in wanted:
            return read_frame(self.connection, tables.live_assignments, types)
        frame = read_frame(self.connection, tables.live_assignments, {**types, "reason_id": pl.Int64()})
        return frame.join(self._reasons(), on="reason_id", how="left").select(wanted)

    def reps_of(self, account_ids: Sequence[str], layer: str) -> dict[str, str | None]:
        """account_id -> rep (None: vacant) in one layer, for the accounts of a page that have a
        live row there."""
        live = tables.live_assignments
        found = self.connection.execute(
            select(live.c.account_id, live.c.rep_id)
            .where(live.c.layer == layer)
            .where(live.c.account_id.in_(list(account_ids)))
        )
        return {str(account_id): rep_id for account_id, rep_id in found}

    def rows_of(self, account_ids: Sequence[str], columns: Sequence[str]) -> pl.DataFrame:
        """The live rows of some accounts (the LIVE_TYPES `columns`, no reason), in no particular
        order: an import re-evaluates the accounts it changed, not the million live rows."""
        types = {name: LIVE_TYPES[name] for name in columns}
        return self._rows_where(types, _in_lists("account_id", account_ids))

    def in_territories(self, territory_ids: Sequence[str], columns: Sequence[str]) -> pl.DataFrame:
        """The live rows in some territories (the LIVE_TYPES `columns`, no reason), in no particular
        order."""
        types = {name: LIVE_TYPES[name] for name in columns}
        return self._rows_where(types, _in_lists("territory_id", territory_ids))

    def accounts_per_rep(self, territory_ids: Sequence[str]) -> pl.DataFrame:
        """territory_id, rep_id, accounts: how many live rows each rep (null: none) holds in each of
        some territories, counted by the database (a pool's loads without reading its rows)."""
        live = tables.live_assignments
        counted = func.count().label("accounts")
        found: list[tuple[Any, ...]] = []
        ids = sorted(set(territory_ids))
        for start in range(0, len(ids), _IDS_PER_STATEMENT):
            found += self.connection.execute(
                select(live.c.territory_id, live.c.rep_id, counted)
                .where(live.c.territory_id.in_(ids[start : start + _IDS_PER_STATEMENT]))
                .group_by(live.c.territory_id, live.c.rep_id)
            ).all()
        schema = {"territory_id": pl.String, "rep_id": pl.String, "accounts": pl.Int64}
        return pl.DataFrame(found, schema=schema, orient="row")

    def _rows_where(self, types: dict[str, pl.DataType], conditions: list[str]) -> pl.DataFrame:
        frames = [
            read_frame(self.connection, tables.live_assignments, types, f"WHERE {c}") for c in conditions
        ]
        return pl.concat(frames, how="vertical")

    def _reasons(self) -> pl.DataFrame:
        types: dict[str, pl.DataType] = {"reason_id": pl.Int64(), "text": pl.String()}
        return read_frame(self.connection, tables.live_reasons, types).rename({"text": "reason"})

    def rows_of_reps(self, rep_ids: Sequence[str], columns: Sequence[str]) -> pl.DataFrame:
        """The live rows of some reps (a rep's, a team's), through the index on rep_id."""
        types = {name: LIVE_TYPES[name] for name in columns}
        return self._rows_where(types, _in_lists("rep_id", rep_ids))

    def territory_ids(self) -> set[str]:
        """Every territory a live row names, read from the index on territory_id."""
        live = tables.live_assignments
        query = select(live.c.territory_id).where(live.c.territory_id.is_not(None)).distinct()
        return {str(value) for value in self.connection.execute(query).scalars()}

    def reps_in(self, layer: str) -> pl.DataFrame:
        """account_id, rep_id of every live row of a layer."""
        # In bulk (COPY on PostgreSQL): read for every workspace account book once a plan is active.
        quoted = layer.replace("'", "''")
        types: dict[str, pl.DataType] = {"account_id": pl.String(), "rep_id": pl.String()}
        return read_frame(self.connection, tables.live_assignments, types, f"WHERE layer = '{quoted}'")

    def of_account(self, account_id: str) -> pl.DataFrame:
        """One account's live rows (LIVE_TYPES), by layer."""
        live, reasons = tables.live_assignments, tables.live_reasons
        rows = self.connection.execute(
            select(*(reasons.c.text if name == "reason" else live.c[name] for name in LIVE_TYPES))
            .join(reasons, reasons.c.reason_id == live.c.reason_id)
            .where(live.c.account_id == account_id)
            .order_by(live.c.layer)
        ).all()
        return pl.DataFrame(rows, schema=LIVE_TYPES, orient="row")

    def put(self, account_ids: Sequence[str], rows: pl.DataFrame) -> None:
        """The live rows of some accounts (LIVE_TYPES columns) in place of theirs: a change to some
        accounts (an override, a hold, an import) rewrites only them. New reason texts are added.
        In bulk: an import re-evaluating 10,000 accounts wrote them one by one in 50 s."""
        connection, live, reasons = self._writing(), tables.live_assignments, tables.live_reasons
        ids = list(account_ids)
        for start in range(0, len(ids), _IDS_PER_STATEMENT):
            connection.execute(
                delete(live).where(live.c.account_id.in_(ids[start : start + _IDS_PER_STATEMENT]))
            )
        stored = connection.execute(select(reasons.c.reason_id, reasons.c.text)).all()
        known = {text: reason_id for reason_id, text in stored}
        first_new = max(known.values(), default=-1) + 1
        texts = rows.get_column("reason").unique(maintain_order=True).to_list()
        new = [text for text in texts if text not in known]
        known.update({text: first_new + k for k, text in enumerate(new)})
        added = pl.DataFrame({"reason_id": range(first_new, first_new + len(new)), "text": new})
        insert_frame(connection, reasons, added.cast({"reason_id": pl.Int64, "text": pl.String}))
        reason_id = pl.col("reason").replace_strict(known, return_dtype=pl.Int64).alias("reason_id")
        insert_frame(
            connection,
            live,
            rows.with_columns(reason_id).select(
                *(("reason_id" if name == "reason" else name) for name in LIVE_TYPES)
            ),
        )

    def replace(self, rows: pl.DataFrame) -> None:
        """The whole live assignment, in place of the one stored (LIVE_TYPES columns)."""
        connection = self._writing()
        connection.execute(delete(tables.live_assignments))
        connection.execute(delete(tables.live_reasons))
        texts = rows.get_column("reason").unique(maintain_order=True)  # first seen first: the same each run
        reasons = pl.DataFrame({"text": texts}).with_row_index("reason_id").cast({"reason_id": pl.Int64})
        insert_frame(connection, tables.live_reasons, reasons)
        stored = rows.join(reasons, left_on="reason", right_on="text", how="left", maintain_order="left")
        insert_frame(
            connection,
            tables.live_assignments,
            stored.select(*(("reason_id" if name == "reason" else name) for name in LIVE_TYPES)),
        )


class _Pins(Repository):
    """What overrides and holds share: the rows in force (not ended), every row, and ending one."""

    table: Table
    key: str

    def _rows(self, *conditions: ColumnElement[bool]) -> list[dict[str, Any]]:
        rows = self.connection.execute(
            select(self.table).where(*conditions).order_by(self.table.c[self.key])
        ).all()
        return [dict(row._mapping) for row in rows]

    def _add(self, values: dict[str, Any]) -> int:
        result = self._writing().execute(insert(self.table).values(values).returning(self.table.c[self.key]))
        return int(result.scalar_one())

    def _in_force(self) -> list[dict[str, Any]]:
        return self._rows(self.table.c.ended_at.is_(None))

    def end(self, ids: Sequence[int], ended_at: datetime, cause: str) -> None:
        """Ended, with when and why: they stay readable."""
        self._writing().execute(
            update(self.table)
            .where(self.table.c[self.key].in_(list(ids)))
            .values(ended_at=ended_at, end_cause=cause)
        )


class Overrides(_Pins):
    table, key = tables.overrides, "override_id"

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
        values = {
            "account_id": account_id,
            "layer": layer,
            "territory_id": territory_id,
            "rep_id": rep_id,
            "reason": reason,
            "actor": actor,
            "created_at": created_at,
            "until": until,
        }
        return self._add(values)

    def in_force(self) -> list[StoredOverride]:
        """The overrides not ended, oldest first."""
        return [StoredOverride(**row) for row in self._in_force()]

    def all(self) -> list[StoredOverride]:
        """Every override, ended ones too, oldest first."""
        return [StoredOverride(**row) for row in self._rows()]


class Holds(_Pins):
    table, key = tables.holds, "hold_id"

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
        values = {
            "account_id": account_id,
            "layer": layer,
            "territory_id": territory_id,
            "rep_id": rep_id,
            "actor": actor,
            "created_at": created_at,
            "until": until,
        }
        return self._add(values)

    def in_force(self) -> list[StoredHold]:
        """The holds not ended, oldest first."""
        return [StoredHold(**row) for row in self._in_force()]

    def all(self) -> list[StoredHold]:
        """Every hold, ended ones too, oldest first."""
        return [StoredHold(**row) for row in self._rows()]


# A changed row as the change log keeps it (engine.live_changes.CHANGE_COLUMNS), with its change set.
CHANGE_TYPES = {
    "change_set_id": pl.Int64(),
    "account_id": pl.String(),
    "layer": pl.String(),
    "from_territory_id": pl.String(),
    "from_rep_id": pl.String(),
    "to_territory_id": pl.String(),
    "to_rep_id": pl.String(),
    "cause": pl.String(),
}


class ChangeLog(Repository):
    """The change sets of the live assignment, oldest first, and the rows each one changed."""

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
        """A new change set; its id. Change sets are numbered in the order they commit (the chain's
        lock, held to the commit), so a reader that has seen one has seen every one before it: the
        delta export's watermark relies on it."""
        _chain_lock(self._writing())
        result = self._writing().execute(
            insert(tables.change_sets)
            .values(
                kind=kind.value,
                at=at,
                effective=effective,
                actor=actor,
                summary=summary,
                plan_id=plan_id,
                changes=changes,
            )
            .returning(tables.change_sets.c.change_set_id)
        )
        return int(result.scalar_one())

    def add(self, change_set_id: int, rows: pl.DataFrame) -> None:
        """The rows a change set changed (CHANGE_TYPES but change_set_id), in bulk."""
        if rows.is_empty():
            return
        framed = rows.with_columns(pl.lit(change_set_id, pl.Int64).alias("change_set_id"))
        insert_frame(self._writing(), tables.assignment_changes, framed.select(*CHANGE_TYPES))

    def sets(self, after: int = 0) -> list[StoredChangeSet]:
        """The change sets after the one numbered `after`, oldest first."""
        sets = tables.change_sets
        rows = self.connection.execute(
            select(sets).where(sets.c.change_set_id > after).order_by(sets.c.change_set_id)
        ).all()
        return [
            StoredChangeSet(
                row.change_set_id,
                ChangeKind(row.kind),
                row.at,
                row.effective,
                row.actor,
                row.summary,
                row.plan_id,
                row.changes,
            )
            for row in rows
        ]

    def rows(
        self,
        change_set_ids: Sequence[int] | None = None,
        account_id: str | None = None,
        rep_id: str | None = None,
    ) -> pl.DataFrame:
        """Changed rows (CHANGE_TYPES) of some change sets (default all), of one account, or that
        one rep gained or lost; by change set, then binary (account_id, layer) order."""
        changes = tables.assignment_changes
        query = select(*(changes.c[name] for name in CHANGE_TYPES))
        if change_set_ids is not None:
            query = query.where(changes.c.change_set_id.in_(list(change_set_ids)))
        if account_id is not None:
            query = query.where(changes.c.account_id == account_id)
        if rep_id is not None:
            query = query.where((changes.c.to_rep_id == rep_id) | (changes.c.from_rep_id == rep_id))
        frame = pl.DataFrame(self.connection.execute(query).all(), schema=CHANGE_TYPES, orient="row")
        return frame.sort("change_set_id", "account_id", "layer")

    def rows_after(self, change_set_id: int) -> pl.DataFrame:
        """The changed rows (CHANGE_TYPES) of the change sets after the one numbered
        `change_set_id`, by change set, then binary (account_id, layer) order."""
        changes = tables.assignment_changes
        query = select(*(changes.c[name] for name in CHANGE_TYPES)).where(
            changes.c.change_set_id > change_set_id
        )
        frame = pl.DataFrame(self.connection.execute(query).all(), schema=CHANGE_TYPES, orient="row")
        return frame.sort("change_set_id", "account_id", "layer")


def _chain_lock(connection: Connection) -> None:
    """The lock change sets and audit entries are numbered under, held to the commit. Every writer
    holds a lock, but writers of different kinds (an import, a plan edit) hold different ones on
    PostgreSQL; SQLite's write lock is the whole database's already."""
    if connection.dialect.name == "postgresql":
        connection.execute(sql_text("SELECT pg_advisory_xact_lock(hashtext('audit_entries'))"))


class AuditTrail(Repository):
    """The audit trail: hash-chained entries, appended one at a time under the writer lock."""

    def append(self, fields: Mapping[str, str | None]) -> StoredEntry:
        """The entry of `fields`, chained after the last one and stored; the last is read in this
        transaction, under the chain's lock, so that entries are appended one after another."""
        connection = self._writing()
        _chain_lock(connection)
        entries = tables.audit_entries
        last = connection.execute(
            select(entries.c.seq, entries.c.hash).order_by(entries.c.seq.desc()).limit(1)
        ).first()
        entry = chained(fields, 1, GENESIS) if last is None else chained(fields, last.seq + 1, last.hash)
        connection.execute(insert(entries).values(seq=entry.seq, entry=entry.text, hash=entry.hash))
        return entry

    def head_seq(self) -> int:
        """The last entry's seq (0: an empty chain): every change set and plan edit moves it."""
        value = self.connection.execute(select(func.max(tables.audit_entries.c.seq))).scalar()
        return 0 if value is None else int(value)

    def entries(self) -> list[StoredEntry]:
        """Every entry, by seq."""
        entries = tables.audit_entries
        rows = self.connection.execute(select(entries).order_by(entries.c.seq)).all()
        return [StoredEntry(row.seq, row.entry, row.hash) for row in rows]


class DeltaExports(Repository):
    """The delta exports made (`export changes`): each one's watermark, the last change set it wrote."""

    def add(self, at: datetime, actor: str, since: str, fmt: str, through: int, rows: int) -> int:
        """A delta export, written through change set `through`; its id."""
        result = self._writing().execute(
            insert(tables.delta_exports)
            .values(at=at, actor=actor, since=since, format=fmt, through_change_set=through, rows=rows)
            .returning(tables.delta_exports.c.export_id)
        )
        return int(result.scalar_one())

    def last_through(self) -> int | None:
        """The change set the latest delta export was written through; None before the first."""
        exports = tables.delta_exports
        found = self.connection.execute(
            select(exports.c.through_change_set).order_by(exports.c.export_id.desc()).limit(1)
        ).first()
        return None if found is None else int(found.through_change_set)


class Users(Repository):
    def add(self, user_name: str, role: str, rep_id: str | None, created_at: datetime) -> None:
        values = {"user_name": user_name, "role": role, "rep_id": rep_id, "created_at": created_at}
        self._writing().execute(insert(tables.users).values(values))

    def get(self, user_name: str) -> StoredUser | None:
        users = tables.users
        row = self.connection.execute(select(users).where(users.c.user_name == user_name)).first()
        return None if row is None else StoredUser(**row._mapping)

    def list(self) -> list[StoredUser]:
        """Every user, by name."""
        rows = self.connection.execute(select(tables.users).order_by(tables.users.c.user_name)).all()
        return [StoredUser(**row._mapping) for row in rows]

    def disable(self, user_name: str) -> None:
        users = tables.users
        self._writing().execute(update(users).where(users.c.user_name == user_name).values(disabled=True))


class Tokens(Repository):
    def add(
        self,
        user_name: str,
        token_hash: str,
        scopes: str,
        created_at: datetime,
        expires_at: datetime | None,
        label: str | None,
    ) -> int:
        values = {
            "user_name": user_name,
            "token_hash": token_hash,
            "scopes": scopes,
            "created_at": created_at,
            "expires_at": expires_at,
            "label": label,
        }
        tokens = tables.api_tokens
        return int(
            self._writing().execute(insert(tokens).values(values).returning(tokens.c.token_id)).scalar_one()
        )

    def with_hash(self, token_hash: str) -> StoredToken | None:
        tokens = tables.api_tokens
        row = self.connection.execute(select(tokens).where(tokens.c.token_hash == token_hash)).first()
        return None if row is None else StoredToken(**row._mapping)

    def get(self, token_id: int) -> StoredToken | None:
        if not 0 <= token_id <= LARGEST_ID:
            return None
        tokens = tables.api_tokens
        row = self.connection.execute(select(tokens).where(tokens.c.token_id == token_id)).first()
        return None if row is None else StoredToken(**row._mapping)

    def list(self) -> list[StoredToken]:
        """Every token, revoked and expired ones too, oldest first."""
        rows = self.connection.execute(select(tables.api_tokens).order_by(tables.api_tokens.c.token_id)).all()
        return [StoredToken(**row._mapping) for row in rows]

    def revoke(self, token_id: int, revoked_at: datetime) -> None:
        tokens = tables.api_tokens
        self._writing().execute(
            update(tokens).where(tokens.c.token_id == token_id).values(revoked_at=revoked_at)
        )
