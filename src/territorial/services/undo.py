"""Taking back what was imported: deactivating records and undoing an import. Nothing is deleted,
and each is itself kept in the history as a change of its own, so it too can be read back."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from territorial.domain.entities import SCHEMAS, Entity, EntitySchema
from territorial.domain.fields import FieldType
from territorial.domain.stored import ImportCounts
from territorial.errors import BadInput
from territorial.rules.to_polars import POLARS_TYPES
from territorial.services.activation import LOCK
from territorial.services.context import Context
from territorial.services.record_diff import CREATED
from territorial.services.reevaluation import Reevaluated, import_lock, reevaluate_import
from territorial.services.roster import leave_deactivated
from territorial.services.unit_of_work import UnitOfWork, WorkspaceStore

ACTIVE, UPDATED_AT = "active", "updated_at"


@dataclass(frozen=True)
class Undone:
    """What an undo or a deactivation did, kept as import `import_id`."""

    import_id: int
    entity: Entity
    deactivated: int  # records it turned inactive (created by the import undone, or named)
    restored: int  # field values set back to what they were before the import
    kept: int  # values left as they are: a later import changed them since
    custom_kept: int  # custom-field changes not set back (re-import the earlier file for those)
    already_inactive: tuple[str, ...] = ()  # ids a deactivation named that were inactive before it
    # Records the undone import created that a later import changed: left active (the later import
    # wants them), and named, since `deactivate` is how to take them out.
    left_active: tuple[str, ...] = ()
    live: Reevaluated | None = None  # accounts while a plan is active: what changed in the live assignment


def deactivate(workspace: WorkspaceStore, ctx: Context, entity: Entity, ids: list[str]) -> Undone:
    """Mark records inactive (they leave assignment and routing; their history stays)."""
    schema = SCHEMAS[entity]
    wanted = list(dict.fromkeys(i.strip() for i in ids if i.strip()))
    if not wanted:
        raise BadInput.at("name at least one record id", "deactivate")
    with workspace.unit_of_work(write=True, lock=import_lock(entity)) as uow:
        stored = uow.records.read(entity, {schema.id_field: pl.String(), ACTIVE: pl.Boolean()})
        known = stored.filter(pl.col(schema.id_field).is_in(wanted))
        found = set(known.get_column(schema.id_field).to_list())
        missing = [i for i in wanted if i not in found]
        if missing:
            shown = ", ".join(missing[:10]) + (f" and {len(missing) - 10} more" if len(missing) > 10 else "")
            raise BadInput.at(f"no {entity.value} with these ids in the workspace: {shown}", "deactivate")
        active = known.filter(pl.col(ACTIVE)).get_column(schema.id_field).to_list()
        import_id = _record(uow, ctx, schema, "deactivate", _deactivation(active), len(wanted))
        _set_inactive(uow, ctx, schema, active)
        uow.imports.finish(import_id, ctx.now(), ImportCounts(0, 0, len(wanted) - len(active), len(active)))
        if entity is Entity.REPS:
            leave_deactivated(uow, ctx, import_id)
        changed_live = _reevaluated(uow, ctx, entity, import_id)
    was_active = set(active)
    already = tuple(i for i in wanted if i not in was_active)
    return Undone(import_id, entity, len(active), 0, 0, 0, already, live=changed_live)


def undo_import(workspace: WorkspaceStore, ctx: Context, import_id: int) -> Undone:
    """Set an import's changes back: records it created become inactive, fields it changed take
    their earlier values, and records it deactivated are active again. A value a later import
    changed since is kept (the later import is the newer truth), and counted."""
    # The activation lock: undoing a reps import may make roster reps inactive, which leave, and an
    # undo of accounts writes the live rows. The entity is read inside.
    with workspace.unit_of_work(write=True, lock=LOCK) as uow:
        entity = uow.imports.entity_of(import_id)
        if entity is None:
            raise BadInput.at(f"no finished import {import_id} in the workspace", "import undo")
        earlier = uow.imports.with_source(undo_name(import_id))
        if earlier is not None:
            raise BadInput.at(f"import {import_id} was undone already, by import {earlier}", "import undo")
        schema = SCHEMAS[entity]
        history = uow.records.history_since(import_id).filter(pl.col("entity") == entity.value)
        done = history.filter(pl.col("import_id") == import_id)
        later = history.filter(pl.col("import_id") > import_id).select("record_id", "field").unique()
        created = done.filter(pl.col("field") == CREATED).get_column("record_id").to_list()
        changed = done.filter(pl.col("field") != CREATED)
        core = changed.filter(pl.col("field").is_in([*schema.fields, ACTIVE]))
        restorable = core.join(later, on=["record_id", "field"], how="anti")
        # A record created here and changed later stays: the later import wants it.
        later_ids = set(later.get_column("record_id").to_list())
        to_deactivate = [i for i in created if i not in later_ids]
        back = restorable.select(
            "record_id",
            "field",
            pl.col("new_value").alias("old_value"),
            pl.col("old_value").alias("new_value"),
        )
        undo_id = _record(
            uow,
            ctx,
            schema,
            undo_name(import_id),
            pl.concat([back, _deactivation(to_deactivate)]),
            done.get_column("record_id").n_unique(),
        )
        for field, rows in back.partition_by("field", as_dict=True, maintain_order=True).items():
            _restore(uow, ctx, schema, str(field[0]), rows)
        _set_inactive(uow, ctx, schema, to_deactivate)
        restored = back.height
        uow.imports.finish(undo_id, ctx.now(), ImportCounts(0, restored, 0, len(to_deactivate)))
        if entity is Entity.REPS:
            leave_deactivated(uow, ctx, undo_id)
        changed_live = _reevaluated(uow, ctx, entity, undo_id)
    return Undone(
        undo_id,
        entity,
        len(to_deactivate),
        restored,
        core.height - restorable.height,
        changed.height - core.height,
        left_active=tuple(sorted(i for i in created if i in later_ids)),
        live=changed_live,
    )


def _reevaluated(uow: UnitOfWork, ctx: Context, entity: Entity, import_id: int) -> Reevaluated | None:
    """Accounts taken back change the live assignment, in the same transaction."""
    return reevaluate_import(uow, ctx, import_id) if entity is Entity.ACCOUNTS else None


def undo_name(import_id: int) -> str:
    """How an undo is kept among the imports (its source)."""
    return f"undo of import {import_id}"


def _deactivation(ids: list[str]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "record_id": ids,
            "field": [ACTIVE] * len(ids),
            "old_value": ["true"] * len(ids),
            "new_value": ["false"] * len(ids),
        },
        schema=dict.fromkeys(("record_id", "field", "old_value", "new_value"), pl.String),
    )


def _record(
    uow: UnitOfWork, ctx: Context, schema: EntitySchema, what: str, changes: pl.DataFrame, rows: int
) -> int:
    """The undo as an import of its own, with its changes in the history."""
    import_id = uow.imports.start(schema.entity, what, None, ctx.now(), rows, ctx.actor)
    uow.records.add_history(
        changes.select(
            pl.lit(import_id).alias("import_id"),
            pl.lit(schema.entity.value).alias("entity"),
            "record_id",
            "field",
            "old_value",
            "new_value",
            pl.lit(ctx.now()).alias("changed_at"),
            pl.lit(what).alias("source_file"),
        )
    )
    return import_id


def _set_inactive(uow: UnitOfWork, ctx: Context, schema: EntitySchema, ids: list[str]) -> None:
    if ids:
        off = pl.DataFrame({schema.id_field: ids}).with_columns(
            pl.lit(False).alias(ACTIVE), pl.lit(ctx.now()).alias(UPDATED_AT)
        )
        uow.records.upsert(schema.entity, off)


def _restore(uow: UnitOfWork, ctx: Context, schema: EntitySchema, field: str, rows: pl.DataFrame) -> None:
    """One field's earlier values (kept as text in the history), typed as the field is."""
    text = rows.get_column("new_value")
    kind = schema.fields.get(field, FieldType.BOOLEAN)  # `active` is bookkeeping for accounts
    if kind is FieldType.NUMBER:
        value = text.cast(pl.Float64, strict=False)
    elif kind is FieldType.BOOLEAN:
        value = pl.select(pl.when(text.is_null()).then(None).otherwise(text == "true")).to_series()
    elif kind is FieldType.DATE:
        value = text.str.to_date("%Y-%m-%d", strict=False)
    else:
        value = text
    frame = pl.DataFrame(
        {schema.id_field: rows.get_column("record_id"), field: value.cast(POLARS_TYPES[kind])}
    ).with_columns(pl.lit(ctx.now()).alias(UPDATED_AT))
    uow.records.upsert(schema.entity, frame)
