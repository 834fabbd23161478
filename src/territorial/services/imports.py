"""Importing CRM exports into the workspace: map, normalise, check, then upsert with history."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path

import polars as pl

from territorial.domain.entities import SCHEMAS, Entity, EntitySchema
from territorial.domain.fields import FieldType
from territorial.domain.leads import DAMAGED_ID
from territorial.domain.normalize import Cleanup, Normalized, normalize
from territorial.domain.reps import OWNER_NAME, owners_by_name
from territorial.domain.stored import ImportCounts
from territorial.errors import BadInput, Location, Problem, ProblemLog
from territorial.geo.locate import METHODS, UNLOCATED
from territorial.io.accounts import inferred_type
from territorial.io.crm_mappings import (
    MappedTable,
    apply_mapping,
    crm_label,
    mapping_for,
    other_entity_export,
)
from territorial.io.leads import lead_ids
from territorial.io.output import write_table
from territorial.io.tables import read_table
from territorial.progress import Progress, silent
from territorial.rules.to_polars import POLARS_TYPES
from territorial.services.context import Context
from territorial.services.permissions import may_import
from territorial.services.record_diff import diff_records
from territorial.services.reevaluation import Reevaluated, import_lock, reevaluate_import
from territorial.services.roster import leave_deactivated
from territorial.services.roster_apply import Applied
from territorial.services.unit_of_work import UnitOfWork, WorkspaceStore

MAX_REPORTED = 50
UNLOCATED_SHOWN = 10  # the import summary names this many accounts it could not locate
REJECT_REASON = "reason"


@dataclass
class ImportReport:
    import_id: int
    entity: Entity
    file: str
    rows_read: int
    inserted: int
    updated: int
    unchanged: int
    deactivated: int
    rejected: int
    rejects_file: Path | None
    normalized_cells: int
    unrecognized: pl.DataFrame  # column, value, rows: values kept as given (an unknown country...)
    ignored_columns: tuple[str, ...] = ()  # file columns the built-in mapping passed over
    # Accounts: how many were located how (geo.locate.METHODS), and the first ids of those not.
    location: dict[str, int] | None = None
    unlocated_ids: list[str] = field(default_factory=list)
    # A report's "Account Owner" names: those that match no workspace rep, with their accounts.
    owner_names_unmatched: dict[str, int] = field(default_factory=dict)
    owner_names_ambiguous: dict[str, int] = field(default_factory=dict)  # names several reps answer to
    footer_rows: int = 0  # a formatted report's footer lines, skipped
    core_fields: int = 0  # the entity's fields the file filled, its id apart
    # Cells read as empty because they held a null word (N/A, -, null...), per column in file order.
    null_words: dict[str, int] = field(default_factory=dict)
    # Reps: the roster reps it set inactive, each a `rep leave` that day.
    left: list[Applied] = field(default_factory=list)
    # Accounts while a plan is active: what the import changed in the live assignment.
    live: Reevaluated | None = None
    # Leads: the ids read back from a spreadsheet's numbers (7.0000000102E+10), each by its line.
    warnings: list[Problem] = field(default_factory=list)

    def summary(self) -> dict[str, int]:
        """What the import did, in counts: a job's result, and the web page's after it."""
        return {
            "import_id": self.import_id,
            "rows_read": self.rows_read,
            "inserted": self.inserted,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
        }


ACTIVE = "active"
UPDATED_AT = "updated_at"


def import_records(
    workspace: WorkspaceStore,
    ctx: Context,
    entity: Entity,
    path: str | Path,
    mapping: str | None = None,
    full_sync: bool = False,
    skip_invalid: bool = False,
    rejects: Path | None = None,
    progress: Progress = silent,
    force: bool = False,
) -> ImportReport:
    """All-or-nothing by default: any bad row stops the import before anything is written. A file
    that looks like another entity's export is refused unless `force` (check_entity)."""
    may_import(ctx.principal, entity)
    schema = SCHEMAS[entity]
    mapped, normalized, problems, restored = prepare_import(entity, path, mapping, force, progress)
    bad_rows = problems.get_column("row").unique()
    rejects_file = None
    if bad_rows.len():
        if not skip_invalid:
            raise BadInput(*_located(problems, mapped))
        rejects_file = rejects or Path.cwd() / f"{Path(path).stem}.rejects.csv"
        _write_rejects(mapped, problems, rejects_file)
    keep = ~pl.int_range(pl.len()).is_in(bad_rows.implode())
    incoming = normalized.frame.filter(keep)
    progress(f"Comparing {incoming.height:,} rows with the workspace", None)
    with workspace.unit_of_work(write=True, lock=import_lock(entity)) as uow:
        incoming, unmatched, ambiguous = _owners_by_name(uow, entity, incoming)
        report = _write(uow, ctx, schema, mapped, incoming, full_sync, mapping)
        _record_normalizations(uow, report.import_id, normalized.changes)
        if entity is Entity.REPS:
            report.left = leave_deactivated(uow, ctx, report.import_id)
        if entity is Entity.ACCOUNTS:
            report.live = reevaluate_import(uow, ctx, report.import_id, progress)
    report.owner_names_unmatched = unmatched
    report.owner_names_ambiguous = ambiguous
    report.footer_rows = mapped.raw.footer_rows
    report.core_fields = len(set(mapped.sources) & set(schema.fields) - {schema.id_field})
    report.rejected = bad_rows.len()
    report.rejects_file = rejects_file
    report.normalized_cells = normalized.changes.height
    report.null_words = _null_words(normalized.changes)
    report.unrecognized = normalized.unrecognized
    report.ignored_columns = mapped.ignored
    report.warnings = restored
    if entity is Entity.ACCOUNTS and normalized.located is not None:
        located = normalized.located.to_frame().filter(keep).to_series()
        report.location = {method: int((located == method).sum()) for method in METHODS}
        ids = incoming.get_column(schema.id_field).filter(located == UNLOCATED)
        report.unlocated_ids = ids.head(UNLOCATED_SHOWN).to_list()
    return report


def prepare_import(
    entity: Entity, path: str | Path, mapping: str | None, force: bool = False, progress: Progress = silent
) -> tuple[MappedTable, Normalized, pl.DataFrame, list[Problem]]:
    """A file read, mapped and normalised, its row problems (row, column, value, expected) and the
    lead ids read back from a spreadsheet's numbers, each a warning by its line, with nothing written:
    what an import writes, and what a preview shows before it."""
    schema = SCHEMAS[entity]
    progress(f"Reading {path}", None)
    mapped = apply_mapping(read_table(path), mapping_for(mapping, entity))
    restored: list[Problem] = []
    if entity is Entity.LEADS:
        mapped, restored = _lead_keys(mapped)
    if not force:
        check_entity(mapped)
    progress(f"Normalising {len(mapped):,} rows", None)
    frame = _with_coordinate_columns(mapped.frame, schema)
    types = {name: schema.fields.get(name, FieldType.STRING) for name in frame.columns}
    normalized = normalize(
        frame,
        types,
        file=mapped.file,
        row_lines=mapped.line_of,
        null_word_columns=_typed_custom_fields(frame, schema),
    )
    return mapped, normalized, _row_problems(mapped, normalized.problems, schema), restored


# Salesforce ids start with their object's key prefix: 001 Account, 005 User, 00Q Lead,
# 006 Opportunity, 008 OpportunityHistory. The entity each of ours is exported from.
SALESFORCE_PREFIXES = {
    "001": "Account",
    "005": "User",
    "00Q": "Lead",
    "003": "Contact",  # routed as leads, they would go into a Lead owner update Data Loader rejects
    "006": "Opportunity",
    "008": "OpportunityHistory",
}
OWN_PREFIX = {
    Entity.ACCOUNTS: "001",
    Entity.REPS: "005",
    Entity.LEADS: "00Q",
    Entity.OPPORTUNITIES: "006",
    Entity.OPPORTUNITY_HISTORY: "008",
}
SALESFORCE_ID = r"^[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?$"
SALESFORCE_ID_PATTERN = re.compile(SALESFORCE_ID)
OTHER_OBJECT_SHARE = 0.8  # this share of Salesforce ids from another object: the wrong file


FORCE = "--force imports it anyway"  # what `import` says of a file check_entity refuses
STRAYS_SHOWN = 10  # a Salesforce leads file's rows of another object, named line by line


def check_entity(mapped: MappedTable, remedy: str = FORCE, count_fields: bool = True) -> None:
    """Refuse a file that is another entity's export (an Account export imported as reps made 50
    reps named Walmart, Amazon...), saying the surest sign of it, then `remedy`: 80% of its
    Salesforce ids are another object's; else a leads file read with a CRM's built-in mapping whose
    columns are more another entity's (a HubSpot companies export); else, with `count_fields`, fewer
    than half of the fields its mapping knows are in it and fewer than half of its columns are such
    fields. In a
    Salesforce leads file, each row whose Id is another object's is named by its line. `import` and
    `route` both check their files with it; nothing is written."""
    entity, mapping = mapped.entity, mapped.mapping
    id_field = SCHEMAS[entity].id_field
    column = mapped.sources.get(id_field, id_field)
    ids = mapped.frame.get_column(id_field) if id_field in mapped.frame.columns else None
    signs = []
    if ids is not None and (other := other_salesforce_object(ids, entity, column)) is not None:
        signs.append(other)
    if entity is Entity.LEADS and (found := other_entity_export(mapped.raw.header, entity, mapping.name)):
        kind, columns = found
        shown = ", ".join(columns[:5]) + (", …" if len(columns) > 5 else "")
        signs.append(
            f"this looks like a {crm_label(mapping.name)} export of {kind.value}, not of {entity.value}: it "
            f"has {kind.value} columns ({shown})"
        )
    known = {rule.field for rule in mapping.rules}
    present = known & set(mapped.sources)
    # Both halves: a CRM export may hold only the few columns a user picked (a report of 6
    # columns, all the entity's), and an account export may carry many custom fields beside them.
    header = len(mapped.raw.header)
    if count_fields and known and len(present) * 2 < len(known) and len(present) * 2 < header:
        signs.append(
            f"only {len(present)} of the {len(known)} {entity.value} fields the {mapping.name} mapping "
            f"knows are in this file ({', '.join(sorted(present)) or 'none'}), and they are "
            f"{len(present)} of its {header} columns; is it an export of {entity.value}?"
        )
    if signs:
        raise BadInput.at(
            f"{signs[0]} ({remedy})", mapped.file, 1 if mapped.raw.is_csv else None, None, column
        )
    if entity is Entity.LEADS and ids is not None:
        _refuse_stray_records(mapped, ids.cast(pl.String), column, remedy)


def _refuse_stray_records(mapped: MappedTable, ids: pl.Series, column: str, remedy: str) -> None:
    """A Salesforce leads file: each row whose Id is another object's (a Contact among Leads) is
    refused by its line, as a Lead owner update would fail on it."""
    if not ids.str.starts_with("00Q").any():
        return
    strays = [
        (row, text, kind)
        for row, text in enumerate(ids)
        if text is not None and (kind := salesforce_object_of(text)) not in (None, "Lead")
    ]
    if strays:
        raise BadInput(
            [
                Problem(
                    Location(mapped.file, mapped.line_of(row), None, column),
                    f"{text} is a Salesforce {kind} Id, not a Lead's: a Lead owner update would fail on "
                    f"it ({remedy})",
                )
                for row, text, kind in strays[:STRAYS_SHOWN]
            ],
            len(strays),
        )


def salesforce_object_of(text: str) -> str | None:
    """The object a Salesforce Id belongs to by its key prefix (001 Account …), None for other text."""
    if not SALESFORCE_ID_PATTERN.match(text.strip()):
        return None
    return SALESFORCE_PREFIXES.get(text.strip()[:3])


def other_salesforce_object(ids: pl.Series, entity: Entity, column: str) -> str | None:
    """Why a file's ids are another Salesforce object's (80% of them start with its key prefix:
    001 for Accounts given as leads), else None."""
    ids = ids.cast(pl.String).str.strip_chars().drop_nulls()
    salesforce = ids.filter(ids.str.contains(SALESFORCE_ID))
    if salesforce.len() == 0:
        return None
    for prefix, obj in SALESFORCE_PREFIXES.items():
        share = int(salesforce.str.starts_with(prefix).sum()) / salesforce.len()
        if prefix != OWN_PREFIX[entity] and share >= OTHER_OBJECT_SHARE:
            return (
                f"{share:.0%} of the ids in {column} start with {prefix}, Salesforce's {obj} ids: "
                f"this looks like {obj} records, not {entity.value}"
            )
    return None


def _owners_by_name(
    uow: UnitOfWork, entity: Entity, incoming: pl.DataFrame
) -> tuple[pl.DataFrame, dict[str, int], dict[str, int]]:
    """A report export names each account's owner (its "Account Owner" is a user's name): the
    owner_id of an account without one is the workspace rep of that name (case and spaces
    ignored), or of that e-mail or CRM user id. The names that match no rep, and those that match
    several, are returned with their account counts."""
    if entity is not Entity.ACCOUNTS or OWNER_NAME not in incoming.columns:
        return incoming, {}, {}
    reps = uow.records.read(Entity.REPS, {"rep_id": pl.String(), "name": pl.String(), "email": pl.String()})
    current = incoming.get_column("owner_id") if "owner_id" in incoming.columns else None
    owner, unmatched, ambiguous = owners_by_name(current, incoming.get_column(OWNER_NAME), reps)
    return incoming.with_columns(owner), unmatched, ambiguous


def _typed_custom_fields(frame: pl.DataFrame, schema: EntitySchema) -> list[str]:
    """An account's custom fields of numbers, dates or booleans but for their null words (N/A, -,
    null...): those words are empty there, as in a file given to `assign` (io.accounts), so that
    both paths read the value the same way. The others keep every value as written."""
    if not schema.allows_custom:
        return []
    return [
        name
        for name in frame.columns
        if name not in schema.fields
        and frame.schema[name] == pl.String
        and inferred_type(frame.get_column(name)) is not FieldType.STRING
    ]


def _null_words(changes: pl.DataFrame) -> dict[str, int]:
    """How many cells of each column were read as empty for holding a null word."""
    words = changes.filter(pl.col("rule") == Cleanup.NULL_WORD.value)
    counted = words.group_by("column", maintain_order=True).agg(pl.len())
    return {str(column): int(n) for column, n in counted.iter_rows()}


def _with_coordinate_columns(frame: pl.DataFrame, schema: EntitySchema) -> pl.DataFrame:
    """Empty latitude and longitude beside a postal code, or a city and state, so normalisation
    fills them from it."""
    postal = any(c in frame.columns for c in ("postal_code", "home_postal_code"))
    city = "city" in frame.columns and "state" in frame.columns
    if not (postal or city) or "latitude" not in schema.fields:
        return frame
    missing = [c for c in ("latitude", "longitude") if c not in frame.columns]
    return frame.with_columns(pl.lit(None, pl.String).alias(c) for c in missing)


def _row_problems(mapped: MappedTable, typing: pl.DataFrame, schema: EntitySchema) -> pl.DataFrame:
    """Typing problems plus missing and duplicate ids: row, column, value, expected."""
    ids = mapped.frame.get_column(schema.id_field).cast(pl.String).str.strip_chars()
    frame = pl.DataFrame({"id": ids}).with_row_index("row")
    missing = frame.filter(pl.col("id").is_null() | (pl.col("id") == "")).select(
        pl.col("row").cast(pl.Int64),
        pl.lit(schema.id_field).alias("column"),
        pl.lit(None, pl.String).alias("value"),
        pl.lit(f"a {schema.id_field}; every row needs one").alias("expected"),
    )
    firsts = frame.filter(pl.col("id").is_not_null()).group_by("id").agg(pl.col("row").min().alias("first"))
    duplicates = (
        frame.join(firsts, on="id")
        .filter(pl.col("row") != pl.col("first"))
        .select(
            pl.col("row").cast(pl.Int64),
            pl.lit(schema.id_field).alias("column"),
            pl.col("id").alias("value"),
            pl.format(
                "an id used once (it is also on {})",
                pl.col("first").map_elements(lambda r: mapped.raw.where(int(r)), return_dtype=pl.String),
            ).alias("expected"),
        )
    )
    typed = typing.select(
        pl.col("row").cast(pl.Int64), pl.col("column"), pl.col("value").cast(pl.String), pl.col("expected")
    )
    damaged = frame.filter(
        pl.lit(schema.entity is Entity.LEADS) & pl.col("id").str.contains(DAMAGED_ID.pattern)
    ).select(
        pl.col("row").cast(pl.Int64),
        pl.lit(schema.id_field).alias("column"),
        pl.col("id").alias("value"),
        pl.lit(
            "the CRM's id, not a number a spreadsheet rewrote that lost its last digits: export the "
            "file again from the CRM with the id column formatted as Text"
        ).alias("expected"),
    )
    return pl.concat([missing, duplicates, damaged, typed]).sort(["row", "column"])


def _lead_keys(mapped: MappedTable) -> tuple[MappedTable, list[Problem]]:
    """Leads keep one id each, as routing reads them (lead_ids): a Salesforce Lead Id in its
    18-character form, a whole id a spreadsheet wrote as a number read back (with a warning). An id
    whose digits were lost stays as written, a bad row (_row_problems)."""
    lead_id = SCHEMAS[Entity.LEADS].id_field
    if lead_id not in mapped.frame.columns:
        return mapped, []
    subject = mapped.sources.get(lead_id, lead_id)
    kept, restored, _damaged = lead_ids(
        mapped.frame.get_column(lead_id), mapped.file, mapped.line_of, subject
    )
    return replace(mapped, frame=mapped.frame.with_columns(kept.alias(lead_id))), restored


def _located(problems: pl.DataFrame, mapped: MappedTable) -> tuple[list[Problem], int]:
    log = ProblemLog(MAX_REPORTED)
    for row, column, value, expected in problems.head(MAX_REPORTED).iter_rows():
        source = mapped.sources.get(column, column)
        shown = "empty" if value is None else repr(value)
        log.add(
            Problem(
                Location(mapped.file, mapped.line_of(row), None, source), f"expected {expected}, got {shown}"
            )
        )
    log.total = problems.height
    return log.problems, log.total


def _write_rejects(mapped: MappedTable, problems: pl.DataFrame, path: Path) -> None:
    """The rejected rows as they were in the file, with why, like Data Loader's error file."""
    reasons = problems.group_by("row", maintain_order=True).agg(
        pl.format("{}: expected {}", pl.col("column"), pl.col("expected")).str.join("; ").alias(REJECT_REASON)
    )
    rows = mapped.raw.frame.with_row_index("row").join(
        reasons.with_columns(pl.col("row").cast(pl.UInt32)), on="row"
    )
    write_table(rows.drop("row"), path)


def _write(
    uow: UnitOfWork,
    ctx: Context,
    schema: EntitySchema,
    mapped: MappedTable,
    incoming: pl.DataFrame,
    full_sync: bool,
    mapping: str | None,
) -> ImportReport:
    """Upsert the changed and new records, deactivate the missing ones (full sync), and keep every
    change in the history."""
    entity = schema.entity
    started = ctx.now()
    import_id = uow.imports.start(entity, mapped.file, mapping, started, len(mapped), ctx.actor)
    id_field = schema.id_field
    custom_fields = [c for c in incoming.columns if c not in schema.fields]
    core = [c for c in incoming.columns if c in schema.fields and c != id_field and c != ACTIVE]
    incoming = incoming.with_columns(
        pl.col(ACTIVE).fill_null(True) if ACTIVE in incoming.columns else pl.lit(True).alias(ACTIVE)
    )
    compared = [*core, *custom_fields, ACTIVE]
    existing = _existing(uow, schema, [*core, ACTIVE])
    for name in custom_fields:
        if name not in existing.columns:
            existing = existing.with_columns(pl.lit(None, pl.String).alias(name))
    diff = diff_records(existing, incoming.select([id_field, *compared]), id_field, compared)
    deactivated = pl.DataFrame(schema={id_field: pl.String})
    if full_sync:
        deactivated = existing.filter(pl.col(ACTIVE)).join(incoming.select(id_field), on=id_field, how="anti")
    rows = diff.upserts
    custom_keys = None
    if schema.allows_custom:
        rows, custom_keys = _with_stored_custom(rows, existing, schema, custom_fields)
    uow.records.upsert(entity, rows.with_columns(pl.lit(started).alias(UPDATED_AT)), custom_keys)
    if deactivated.height:
        off = deactivated.select(id_field).with_columns(
            pl.lit(False).alias(ACTIVE), pl.lit(started).alias(UPDATED_AT)
        )
        uow.records.upsert(entity, off)
    history = pl.concat(
        [
            diff.changes,
            deactivated.select(
                pl.col(id_field).alias("record_id"),
                pl.lit(ACTIVE).alias("field"),
                pl.lit("true").alias("old_value"),
                pl.lit("false").alias("new_value"),
            ),
        ]
    )
    uow.records.add_history(
        history.select(
            pl.lit(import_id).alias("import_id"),
            pl.lit(entity.value).alias("entity"),
            "record_id",
            "field",
            "old_value",
            "new_value",
            pl.lit(started).alias("changed_at"),
            pl.lit(mapped.file).alias("source_file"),
        )
    )
    counts = ImportCounts(diff.inserted, diff.updated, diff.unchanged, deactivated.height)
    uow.imports.finish(import_id, ctx.now(), counts)
    return ImportReport(
        import_id,
        entity,
        mapped.file,
        len(mapped),
        inserted=counts.inserted,
        updated=counts.updated,
        unchanged=counts.unchanged,
        deactivated=counts.deactivated,
        rejected=0,
        rejects_file=None,
        normalized_cells=0,
        unrecognized=pl.DataFrame(),
    )


def _existing(uow: UnitOfWork, schema: EntitySchema, fields: list[str]) -> pl.DataFrame:
    """The stored records' id and `fields`, with custom fields as columns of text."""
    types = {
        schema.id_field: pl.String(),
        **{f: POLARS_TYPES[schema.fields.get(f, FieldType.BOOLEAN)] for f in fields},
    }
    return uow.records.read(schema.entity, types)


def _with_stored_custom(
    rows: pl.DataFrame, existing: pl.DataFrame, schema: EntitySchema, custom_fields: list[str]
) -> tuple[pl.DataFrame, list[str]]:
    """Rows to write with every custom field a record will have: the file's over the stored ones."""
    core = schema.fields
    stored = [c for c in existing.columns if c not in core and c != ACTIVE and c not in custom_fields]
    merged = rows.join(existing.select([schema.id_field, *stored]), on=schema.id_field, how="left")
    return merged, sorted({*custom_fields, *stored})


def _record_normalizations(uow: UnitOfWork, import_id: int, changes: pl.DataFrame) -> None:
    """Each distinct normalisation (column, old value → new value) once, with how many rows it touched.

    Coordinates filled from postal codes all start empty: they make one line, not one per ZIP."""
    if changes.height == 0:
        return
    summary = (
        changes.with_columns(pl.col("old").cast(pl.String).fill_null(""), pl.col("new").cast(pl.String))
        .group_by(["column", "old"])
        .agg(
            pl.when(pl.col("new").n_unique() == 1).then(pl.col("new").first()).otherwise(pl.lit("(various)")),
            pl.col("rule").first().cast(pl.String),
            pl.len().alias("rows"),
        )
        .sort(["column", "old"])
    )
    uow.records.add_normalizations(
        summary.select(
            pl.lit(import_id).alias("import_id"),
            pl.col("column").alias("field"),
            pl.col("old").alias("old_value"),
            pl.col("new").alias("new_value"),
            "rule",
            pl.col("rows").cast(pl.Int64),
        ),
    )
