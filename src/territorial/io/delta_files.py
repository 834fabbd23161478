"""The delta export's files: the net changes as one CSV, as Salesforce Data Loader files (territory
associations to insert and to delete, owner updates) or as a HubSpot owner update; and the unowned."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from territorial.domain.choices import Crm, ExportFormat
from territorial.domain.plan import PRIMARY
from territorial.errors import BadInput, Location, Problem, ProblemLog
from territorial.io.exports import (
    HUBSPOT_COMPANY_OWNER,
    HUBSPOT_OWNER_FILE,
    HUBSPOT_RECORD_ID,
    MANUAL_ASSOCIATION,
    SALESFORCE_ID,
    SALESFORCE_OWNER_FILE,
    TERRITORY2_ID,
    UNASSIGNED,
    VACANT,
    crm_user_ids,
    formula_safe,
    territory_column,
)
from territorial.io.output import table_bytes
from territorial.io.tables import read_table

CHANGES_FILE = "changes.csv"
INSERT_FILE = "ObjectTerritory2Association_insert.csv"
DELETE_FILE = "ObjectTerritory2Association_delete.csv"
# Without --associations: the queries whose results are the delete file.
DELETE_QUERIES_FILE = "ObjectTerritory2Association_delete_README.txt"
UNOWNED_FILE = "Unowned.csv"
# A SOQL statement may be 100,000 characters long (Salesforce's SOQL limits): this many quoted
# 18-character ids take about 44,000, leaving room for the rest of the query.
IDS_PER_QUERY = 2_000
ASSOCIATION_COLUMNS = ("Id", "ObjectId", TERRITORY2_ID)


@dataclass(frozen=True)
class DeltaFiles:
    """The files to write (name -> bytes), and what they hold."""

    files: dict[str, bytes]
    inserts: int = 0  # territory associations to insert
    deletes: int = 0  # ... and to delete (found in --associations, or to fetch by query)
    not_found: int = 0  # associations to delete that --associations lacks
    owners: int = 0  # owner updates
    unowned: int = 0  # accounts left with no rep


def delta_files(
    net: pl.DataFrame,
    fmt: ExportFormat,
    *,
    vacant_owner: str | None = None,
    territory_ids: Path | None = None,
    user_ids: Path | None = None,
    rep_id_source: Crm | None = None,
    associations: Path | None = None,
    deactivated: str = "",
    staffed: Collection[str] | None = None,
) -> DeltaFiles:
    """The files for net changes (engine.net_changes: CHANGE_COLUMNS, in binary (account_id, layer)
    order). `csv`: changes.csv, every row. `salesforce`: the territory moves as associations to
    insert and to delete (Data Loader deletes by Id only: the Ids come from `associations`, else a
    README holds the SOQL that fetches them), the primary rep changes as AccountOwnerUpdate.csv, and
    Unowned.csv. `hubspot`: the owner update and Unowned.csv. An account left with no rep takes
    `vacant_owner` (a rep id), when set, and is listed in Unowned.csv either way, as is one in a
    territory not in `staffed` (those with roster reps: the others are vacant); one whose row went
    with the cause `deactivated` (the account is no longer active) loses its territory association
    and keeps the owner the CRM has."""
    if fmt is ExportFormat.CSV:
        return DeltaFiles({CHANGES_FILE: _csv(net)})
    if associations is not None and fmt is not ExportFormat.SALESFORCE:
        raise BadInput.at(
            f"--associations is read by the salesforce format only, not {fmt}", str(associations)
        )
    owners, unowned = _owners(net, vacant_owner, deactivated, staffed)
    reps = sorted(set(owners.get_column("rep_id").to_list()))
    user_of = crm_user_ids(reps, fmt, user_ids, rep_id_source)
    owner_id = pl.col("rep_id").replace_strict(user_of, return_dtype=pl.String)
    if fmt is ExportFormat.HUBSPOT:
        update = owners.select(
            pl.col("account_id").alias(HUBSPOT_RECORD_ID), owner_id.alias(HUBSPOT_COMPANY_OWNER)
        )
        files = {HUBSPOT_OWNER_FILE: _csv(update), UNOWNED_FILE: _csv(unowned)}
        return DeltaFiles(files, owners=owners.height, unowned=unowned.height)
    update = owners.select(pl.col("account_id").alias("Id"), owner_id.alias("OwnerId"))
    moves = net.filter(pl.col("from_territory_id").ne_missing(pl.col("to_territory_id")))
    inserted = moves.filter(pl.col("to_territory_id").is_not_null())
    deleted = moves.filter(pl.col("from_territory_id").is_not_null())
    territories = set(inserted.get_column("to_territory_id")) | set(deleted.get_column("from_territory_id"))
    column, named = territory_column(sorted(territories), territory_ids)
    insert = inserted.select(
        pl.col("account_id").alias("ObjectId"),
        pl.col("to_territory_id").replace_strict(named, return_dtype=pl.String).alias(column),
        pl.lit(MANUAL_ASSOCIATION).alias("AssociationCause"),
    )
    pairs = deleted.select(
        "account_id",
        pl.col("from_territory_id").replace_strict(named, return_dtype=pl.String).alias("territory"),
    )
    files = {INSERT_FILE: _csv(insert)}
    not_found = 0
    if associations is None:
        files[DELETE_QUERIES_FILE] = _delete_queries(pairs, column).encode("utf-8")
    else:
        if column != TERRITORY2_ID:
            raise BadInput.at(
                "--associations names territories by Territory2Id: give --territory-ids too "
                "(territory_id, salesforce_id), so that the territories left can be found in it",
                str(associations),
            )
        ids = _association_ids(associations)
        found = [ids.get(pair) for pair in pairs.iter_rows()]
        not_found = sum(1 for i in found if i is None)
        files[DELETE_FILE] = _csv(
            pl.DataFrame({"Id": [i for i in found if i is not None]}, schema={"Id": pl.String})
        )
    files |= {SALESFORCE_OWNER_FILE: _csv(update), UNOWNED_FILE: _csv(unowned)}
    return DeltaFiles(
        files, insert.height, pairs.height - not_found, not_found, owners.height, unowned.height
    )


def _csv(frame: pl.DataFrame) -> bytes:
    return table_bytes(formula_safe(frame), ".csv")


def _owners(
    net: pl.DataFrame, vacant_owner: str | None, deactivated: str, staffed: Collection[str] | None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The owner updates (account_id, rep_id) and the unowned (account_id, territory_id, why, owner:
    the fallback owner they take, if any), from the primary rows. An account's owner is its rep, else
    the fallback owner; it is updated when that changes, or when the account had no live row before
    (its CRM owner is not known here). A deactivated account keeps the owner the CRM has."""
    gone = (
        (pl.col("cause") == deactivated) & pl.col("to_territory_id").is_null() & pl.col("to_rep_id").is_null()
    )
    primary = net.filter((pl.col("layer") == PRIMARY) & ~gone)
    fallback = pl.lit(vacant_owner, pl.String)
    before, after = pl.col("from_rep_id").fill_null(fallback), pl.col("to_rep_id").fill_null(fallback)
    placed = pl.col("from_territory_id").is_null() & pl.col("from_rep_id").is_null()
    owners = primary.filter(after.is_not_null() & (placed | before.ne_missing(after))).select(
        "account_id", after.alias("rep_id")
    )
    # A vacant territory's accounts may have a rep already (the live function's vacancy step gives
    # them to its manager or the vacant owner): they are unowned all the same.
    vacant = (
        pl.lit(False)
        if staffed is None
        else pl.col("to_territory_id").is_not_null() & ~pl.col("to_territory_id").is_in(list(staffed))
    )
    unowned = primary.filter(pl.col("to_rep_id").is_null() | vacant).select(
        "account_id",
        pl.col("to_territory_id").alias("territory_id"),
        pl.when(pl.col("to_territory_id").is_null())
        .then(pl.lit(UNASSIGNED))
        .otherwise(pl.lit(VACANT))
        .alias("why"),
        fallback.alias("owner"),
    )
    return owners, unowned


def _association_ids(path: Path) -> dict[tuple[str, str], str]:
    """(ObjectId, Territory2Id) -> Id of an export of ObjectTerritory2Association (Id, ObjectId,
    Territory2Id; column names ignore case, cells are trimmed)."""
    raw = read_table(path, columns=ASSOCIATION_COLUMNS)
    named = {column.strip().lower(): column for column in raw.frame.columns}
    absent = [c for c in ASSOCIATION_COLUMNS if c.lower() not in named]
    if absent:
        raise BadInput.at(
            f"expected the columns {', '.join(ASSOCIATION_COLUMNS)} of an ObjectTerritory2Association "
            f"export; {', '.join(absent)} missing",
            raw.file,
            1 if raw.is_csv else None,
        )
    columns = [
        raw.frame.get_column(named[c.lower()]).cast(pl.String).str.strip_chars() for c in ASSOCIATION_COLUMNS
    ]
    log = ProblemLog()
    found: dict[tuple[str, str], str] = {}
    for row, (id_, object_id, territory) in enumerate(zip(*(c.to_list() for c in columns), strict=True)):
        if not id_ or not SALESFORCE_ID.fullmatch(id_):
            where = Location(raw.file, raw.line_of(row), None, named["id"])
            log.add(Problem(where, f"{id_!r} is not a Salesforce Id (15 or 18 letters and digits)"))
        elif object_id and territory:
            found[(object_id, territory)] = id_
    log.raise_if_any()
    return found


def _delete_queries(pairs: pl.DataFrame, column: str) -> str:
    """The README that stands in for the delete file: SOQL queries (one per territory and up to
    IDS_PER_QUERY accounts) whose results, exported as CSV, are the delete file."""
    lines = [
        "The territory associations this export ends are deleted by Id, which only Salesforce knows.",
        "Run each query below (Data Loader: Export; or the Developer Console) and give the results,",
        "which hold the Id column, to Data Loader's Delete on ObjectTerritory2Association; or export",
        "the current associations (Id, ObjectId, Territory2Id) and give that file to --associations.",
        "",
    ]
    by_territory: dict[str, list[str]] = {}
    for account_id, territory in pairs.iter_rows():
        by_territory.setdefault(territory, []).append(account_id)
    if not by_territory:
        lines.append("No association ends: there is nothing to delete.")
    for territory, accounts in sorted(by_territory.items()):
        for start in range(0, len(accounts), IDS_PER_QUERY):
            listed = ", ".join(_soql(a) for a in accounts[start : start + IDS_PER_QUERY])
            lines.append(
                f"SELECT Id, ObjectId, Territory2Id FROM ObjectTerritory2Association "
                f"WHERE {column} = {_soql(territory)} AND ObjectId IN ({listed})"
            )
            lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def _soql(value: str) -> str:
    """A SOQL string literal: quotes and backslashes escaped."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
