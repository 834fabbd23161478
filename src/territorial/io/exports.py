"""Export assignment results as files for people (CSV, Parquet) and for CRM import tools
(Salesforce Data Loader, HubSpot import)."""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from territorial.domain.choices import Crm, ExportFormat
from territorial.domain.fields import ACCOUNT_ID
from territorial.domain.plan import PRIMARY
from territorial.errors import BadInput, Location, Problem, ProblemLog
from territorial.io.output import output_folder, write_table
from territorial.io.tables import read_table

FORMATS = tuple(ExportFormat)
CRMS = tuple(Crm)

ASSIGNMENTS_CSV = "assignments.csv"
ASSIGNMENTS_PARQUET = "assignments.parquet"
SALESFORCE_TERRITORY_FILE = "ObjectTerritory2Association.csv"
SALESFORCE_OWNER_FILE = "AccountOwnerUpdate.csv"
HUBSPOT_OWNER_FILE = "hubspot_company_owner_update.csv"
# Beside an owner update: the accounts it leaves out because the run gave them no rep.
OWNER_SKIPPED_FILE = "owner_update_skipped.csv"
VACANT, UNASSIGNED = "vacant territory", "no primary territory"

# Columns of the assignment rows (territorial.engine.assign.RESULT_COLUMNS) that the CRM files read.
LAYER, TERRITORY_ID, REP_ID = "layer", "territory_id", "rep_id"

# Mapping files: one row per Territorial id with the CRM's id for it.
TERRITORY_MAPPING_VALUE = "salesforce_id"
SALESFORCE_USER_COLUMN = "salesforce_user_id"
HUBSPOT_OWNER_COLUMN = "hubspot_owner_id"

# How a Data Loader file names a territory: by its Id, or by its developer name (an external id).
TERRITORY2_ID, TERRITORY_BY_NAME = "Territory2Id", "Territory2.DeveloperName"

# Salesforce's AssociationCause for an association made by hand or by import rather than by the
# org's own territory assignment rules (those are "Territory2AssignmentRule").
MANUAL_ASSOCIATION = "Territory2Manual"

# Salesforce record Ids: 15 case-sensitive or 18 case-insensitive alphanumeric characters. Checking
# the shape catches a mapping file whose columns were swapped before Data Loader rejects every row.
SALESFORCE_ID = re.compile(r"[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?")

# Developer names: letters, digits and single underscores, starting with a letter, at most 80 long
# (Salesforce object reference, Territory2 and Territory2Type DeveloperName).
DEVELOPER_NAME_LENGTH = 80
DEVELOPER_NAME_PREFIX = "T_"  # for an id that does not start with a letter

# OWASP "CSV Injection": a spreadsheet treats a cell starting with one of these as a formula.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

# HubSpot import headers. "Record ID" is the label HubSpot gives the object ID (hs_object_id) in
# its own exports, and a Record ID column makes the import update the existing company instead of
# deduplicating by domain or creating one ("You can also use object IDs to match entries with
# existing records", knowledge.hubspot.com/crm-setup/import-frequently-asked-questions). For the
# owner we use the property's label, "Company owner", because HubSpot's guide to assigning owners
# says to "include a header with the text [Object] owner" and the import tool then maps it to the
# owner property (knowledge.hubspot.com/crm-setup/how-to-set-an-owner); "HubSpot Owner ID" would
# need mapping by hand. The values are written as the --user-ids file gives them: owner ids, which
# the owners API names as the value that assigns ownership (developers.hubspot.com/docs/api/crm/owners:
# "id", not "userId"), or the users' email addresses, which the guide above shows in that column.
HUBSPOT_RECORD_ID = "Record ID"
HUBSPOT_COMPANY_OWNER = "Company owner"


@dataclass(frozen=True)
class _Crm:
    """How one CRM names its user ids, for the owner-update file and its error messages."""

    name: Crm
    label: str
    owner_file: str
    user_id_column: str  # in the --user-ids mapping file
    user_id_kind: str  # what an owner value is, in the CRM's words
    is_salesforce_id: bool


SALESFORCE = _Crm(
    Crm.SALESFORCE, "Salesforce", SALESFORCE_OWNER_FILE, SALESFORCE_USER_COLUMN, "Salesforce User Id", True
)
HUBSPOT = _Crm(Crm.HUBSPOT, "HubSpot", HUBSPOT_OWNER_FILE, HUBSPOT_OWNER_COLUMN, "HubSpot owner id", False)


def export_assignments(
    rows: pl.DataFrame,
    fmt: ExportFormat,
    out_dir: Path,
    *,
    territory_ids: Path | None = None,
    user_ids: Path | None = None,
    rep_id_source: Crm | None = None,
    current_owners: Mapping[str, str | None] | None = None,
) -> list[Path]:
    """Write the assignment rows into `out_dir` in one format and return the files written.

    - "csv": assignments.csv, every row and column. "parquet": assignments.parquet, the same.
    - "salesforce": ObjectTerritory2Association.csv (ObjectId, Territory2Id, AssociationCause), one
      row per account and territory it won in any layer, and AccountOwnerUpdate.csv (Id, OwnerId) for
      accounts whose primary territory gave them a rep. `territory_ids` maps territory_id to
      salesforce_id; without it the first file names territories by Territory2.DeveloperName, derived
      from the territory_id by `developer_name`.
    - "hubspot": hubspot_company_owner_update.csv ("Record ID", "Company owner") for accounts whose
      primary territory gave them a rep.
    - Both CRMs: an owner update leaves out the accounts whose `current_owners` entry (account_id ->
      owner rep_id) is already their rep, so an import changes only what changes, and
      owner_update_skipped.csv lists the accounts it leaves out for want of a rep (account_id,
      territory_id, why: vacant territory or no primary territory).

    Owner values come from `user_ids` (rep_id with salesforce_user_id or hubspot_owner_id), or are
    the rep ids themselves when `rep_id_source` names the CRM the reps were exported from.

    Rows come out in account_id binary order, primary layer first, then the other layers by name, so
    the same rows give byte-identical files. In CSV files every text cell that starts with = + - @,
    a tab or a carriage return gets a leading ' so that a spreadsheet shows it instead of running it
    as a formula; numeric and boolean columns are written as values and never escaped. Parquet keeps
    the values as they are. Every check runs before the first file is written, so bad input leaves
    no partial export behind.

    Raises BadInput for an option the format does not use, a mapping file that lacks a territory or
    rep, or two territories whose developer names collide.
    """
    _check_options(fmt, territory_ids, user_ids, rep_id_source)
    ordered = _in_export_order(rows)
    if fmt == "csv":
        files = {ASSIGNMENTS_CSV: ordered}
    elif fmt == "parquet":
        files = {ASSIGNMENTS_PARQUET: ordered}
    elif fmt == "salesforce":
        files = {
            SALESFORCE_TERRITORY_FILE: _salesforce_territory_associations(ordered, territory_ids),
            SALESFORCE_OWNER_FILE: _owner_updates(
                ordered, SALESFORCE, user_ids, rep_id_source, current_owners
            ),
            OWNER_SKIPPED_FILE: owner_update_skipped(ordered),
        }
    else:
        files = {
            HUBSPOT_OWNER_FILE: _owner_updates(ordered, HUBSPOT, user_ids, rep_id_source, current_owners),
            OWNER_SKIPPED_FILE: owner_update_skipped(ordered),
        }
    output_folder(out_dir)
    written = []
    for name, frame in files.items():
        path = out_dir / name
        write_table(frame if name.endswith(".parquet") else formula_safe(frame), path)
        written.append(path)
    return written


def _in_export_order(rows: pl.DataFrame) -> pl.DataFrame:
    """Sorted by account_id (binary order), then layer: primary first, the others by name."""
    _require_columns(rows, [ACCOUNT_ID, LAYER])
    return (
        rows.with_columns((pl.col(LAYER) != PRIMARY).alias("_after_primary"))
        .sort([ACCOUNT_ID, "_after_primary", LAYER], maintain_order=True)
        .drop("_after_primary")
    )


def formula_safe(frame: pl.DataFrame) -> pl.DataFrame:
    """Text cells that a spreadsheet would run as a formula, prefixed with a single quote.

    Only text columns: a number such as -3.5 in a numeric column is a value, not a formula. An id
    or name is text even when it looks like a number, so "+1-555" (which a spreadsheet would compute
    as -554) is escaped to "'+1-555"."""
    starts_like_formula = "^[" + re.escape("".join(FORMULA_TRIGGERS)) + "]"
    return frame.with_columns(
        pl.when(pl.col(name).str.contains(starts_like_formula))
        .then(pl.lit("'") + pl.col(name))
        .otherwise(pl.col(name))
        .alias(name)
        for name, dtype in frame.schema.items()
        if dtype == pl.String
    )


def developer_name(territory_id: str) -> str:
    """A valid Salesforce developer name for a territory id: "AMER-EAST.HC" -> "AMER_EAST_HC".

    Accents are dropped ("Zürich" -> "Zurich"), every run of other characters becomes one
    underscore, underscores at either end go, an id that does not start with a letter gets "T_" in
    front ("2027-East" -> "T_2027_East"), and the result is cut to 80 characters."""
    ascii_text = unicodedata.normalize("NFKD", territory_id).encode("ascii", "ignore").decode("ascii")
    name = re.sub(r"[^A-Za-z0-9]+", "_", ascii_text).strip("_")
    if not name[:1].isalpha():
        name = (DEVELOPER_NAME_PREFIX + name).rstrip("_")
    return name[:DEVELOPER_NAME_LENGTH].rstrip("_")


def _salesforce_territory_associations(rows: pl.DataFrame, territory_ids: Path | None) -> pl.DataFrame:
    """ObjectTerritory2Association rows: ObjectId, the territory, AssociationCause."""
    _require_columns(rows, [ACCOUNT_ID, TERRITORY_ID])
    assigned = rows.filter(pl.col(TERRITORY_ID).is_not_null())
    column, names = territory_column(sorted(set(assigned.get_column(TERRITORY_ID).to_list())), territory_ids)
    return pl.DataFrame(
        {
            "ObjectId": assigned.get_column(ACCOUNT_ID),
            column: assigned.get_column(TERRITORY_ID).replace_strict(names, return_dtype=pl.String),
            "AssociationCause": pl.repeat(MANUAL_ASSOCIATION, assigned.height, dtype=pl.String, eager=True),
        }
    )


def territory_column(territories: list[str], territory_ids: Path | None) -> tuple[str, dict[str, str]]:
    """How a Data Loader file names Salesforce territories, and each territory's value there: its
    Territory2Id from `territory_ids` (territory_id, salesforce_id), else its Territory2.DeveloperName
    (an upsert by external id)."""
    if territory_ids is None:
        return TERRITORY_BY_NAME, _developer_names(territories)
    return TERRITORY2_ID, _territory2_ids(territories, territory_ids)


def crm_user_ids(
    reps: list[str], fmt: ExportFormat, user_ids: Path | None, rep_id_source: Crm | None
) -> dict[str, str]:
    """Each rep's user id in the format's CRM: the rep ids themselves when `rep_id_source` is that
    CRM, else from `user_ids` (rep_id and salesforce_user_id or hubspot_owner_id)."""
    return _user_ids(reps, _crm(fmt), user_ids, rep_id_source)


def owner_changes(rows: pl.DataFrame, current_owners: Mapping[str, str | None] | None) -> pl.DataFrame:
    """The primary rows whose rep is not the account's current owner (every row with a rep when
    the current owners are not known)."""
    _require_columns(rows, [ACCOUNT_ID, LAYER, REP_ID])
    owned = rows.filter((pl.col(LAYER) == PRIMARY) & pl.col(REP_ID).is_not_null())
    if current_owners is None:
        return owned
    current = pl.col(ACCOUNT_ID).replace_strict(dict(current_owners), default=None, return_dtype=pl.String)
    return owned.filter(current.is_null() | (current != pl.col(REP_ID)))


def owner_update_skipped(rows: pl.DataFrame) -> pl.DataFrame:
    """account_id, territory_id, why: the accounts an owner update leaves out as the run gave them
    no rep, their territory being vacant or there being none."""
    _require_columns(rows, [ACCOUNT_ID, LAYER, TERRITORY_ID, REP_ID])
    return rows.filter((pl.col(LAYER) == PRIMARY) & pl.col(REP_ID).is_null()).select(
        ACCOUNT_ID,
        TERRITORY_ID,
        pl.when(pl.col(TERRITORY_ID).is_null())
        .then(pl.lit(UNASSIGNED))
        .otherwise(pl.lit(VACANT))
        .alias("why"),
    )


def _owner_updates(
    rows: pl.DataFrame,
    crm: _Crm,
    user_ids: Path | None,
    rep_id_source: Crm | None,
    current_owners: Mapping[str, str | None] | None,
) -> pl.DataFrame:
    """One row per account whose primary territory gave it a rep other than its current owner: the
    account and the rep's user id in the CRM. Accounts without a rep are left out, so the import
    keeps their current owner."""
    owned = owner_changes(rows, current_owners)
    reps = sorted(set(owned.get_column(REP_ID).to_list()))
    owner_of = _user_ids(reps, crm, user_ids, rep_id_source)
    id_header, owner_header = (
        ("Id", "OwnerId") if crm is SALESFORCE else (HUBSPOT_RECORD_ID, HUBSPOT_COMPANY_OWNER)
    )
    return pl.DataFrame(
        {
            id_header: owned.get_column(ACCOUNT_ID),
            owner_header: owned.get_column(REP_ID).replace_strict(owner_of, return_dtype=pl.String),
        }
    )


def _check_options(
    fmt: ExportFormat, territory_ids: Path | None, user_ids: Path | None, rep_id_source: Crm | None
) -> None:
    """An option the format does not use is a mistake worth saying, not something to ignore."""
    if fmt not in FORMATS:
        raise BadInput.at(f"unknown export format {fmt!r}; expected one of {', '.join(FORMATS)}")
    if territory_ids is not None and fmt != "salesforce":
        raise BadInput.at(
            f"--territory-ids is used only by the salesforce export, not {fmt}", str(territory_ids)
        )
    if fmt in ("csv", "parquet"):
        if user_ids is not None:
            raise BadInput.at(f"--user-ids is used only by the CRM exports, not {fmt}", str(user_ids))
        if rep_id_source is not None:
            raise BadInput.at(f"--rep-ids-from is used only by the CRM exports, not {fmt}")
        return
    if rep_id_source is not None and rep_id_source not in CRMS:
        raise BadInput.at(f"unknown rep id source {rep_id_source!r}; expected one of {', '.join(CRMS)}")
    if rep_id_source is not None and str(rep_id_source) == str(fmt) and user_ids is not None:
        raise BadInput.at(
            f"give either --user-ids or --rep-ids-from {fmt}, not both: one maps the rep ids to "
            f"{_crm(fmt).user_id_kind}s, the other says they already are",
            str(user_ids),
        )


def _crm(fmt: ExportFormat) -> _Crm:
    return SALESFORCE if fmt == "salesforce" else HUBSPOT


def _developer_names(territories: list[str]) -> dict[str, str]:
    """Each territory's developer name; two territories may not share one. Names that differ only
    in case count as shared too, since an org may not tell them apart."""
    names = {territory: developer_name(territory) for territory in territories}
    sharing: dict[str, list[str]] = defaultdict(list)
    for territory, name in names.items():
        sharing[name.lower()].append(territory)
    log = ProblemLog()
    for same in sharing.values():
        if len(same) > 1:
            listed = " and ".join(repr(t) for t in same)
            log.add(
                Problem(
                    Location(subject=names[same[0]]),
                    f"territories {listed} all become the Salesforce developer name {names[same[0]]}; "
                    "rename one, or give --territory-ids with their Territory2 Ids",
                )
            )
    log.raise_if_any()
    return names


def _territory2_ids(territories: list[str], territory_ids: Path) -> dict[str, str]:
    mapping = _read_mapping(territory_ids, "territory_id", TERRITORY_MAPPING_VALUE, salesforce_ids=True)
    _raise_for_unmapped(
        [t for t in territories if t not in mapping],
        territory_ids,
        lambda t: f"territory {t} has no {TERRITORY_MAPPING_VALUE} here; add a row: {t},<Territory2 Id>",
    )
    return {t: mapping[t] for t in territories}


def _user_ids(reps: list[str], crm: _Crm, user_ids: Path | None, rep_id_source: Crm | None) -> dict[str, str]:
    if rep_id_source == crm.name:
        return {rep: rep for rep in reps}
    if not reps:
        return {}
    if user_ids is None:
        raise BadInput.at(
            f"{crm.owner_file} needs each rep's {crm.user_id_kind}: give --user-ids FILE with columns "
            f"rep_id, {crm.user_id_column}, or --rep-ids-from {crm.name} if the reps came from a "
            f"{crm.label} user export and their rep_id already is the {crm.user_id_kind}"
        )
    mapping = _read_mapping(user_ids, "rep_id", crm.user_id_column, salesforce_ids=crm.is_salesforce_id)
    _raise_for_unmapped(
        [rep for rep in reps if rep not in mapping],
        user_ids,
        lambda rep: f"rep {rep} has no {crm.user_id_column} here; add a row: {rep},<{crm.user_id_kind}>",
    )
    return {rep: mapping[rep] for rep in reps}


def _raise_for_unmapped(missing: list[str], file: Path, message: Callable[[str], str]) -> None:
    log = ProblemLog()
    for key in missing:
        log.add(Problem(Location(str(file), subject=key), message(key)))
    log.raise_if_any()


def _read_mapping(path: Path, key: str, value: str, *, salesforce_ids: bool) -> dict[str, str]:
    """A two-column mapping file as a dict. Column names ignore case; cells are trimmed, because a
    spreadsheet's trailing space would otherwise make an id miss its match."""
    raw = read_table(path, columns=[key, value])
    named = {column.strip().lower(): column for column in raw.frame.columns}
    absent = [column for column in (key, value) if column not in named]
    if absent:
        raise BadInput.at(
            f"expected columns {key} and {value}; {' and '.join(absent)} missing",
            raw.file,
            1 if raw.is_csv else None,
        )
    keys, values = (_as_text(raw.frame.get_column(named[c]), raw.file, c) for c in (key, value))
    log = ProblemLog()
    mapping: dict[str, str] = {}
    for row, (k, v) in enumerate(zip(keys.to_list(), values.to_list(), strict=True)):
        line = raw.line_of(row)
        if not k:
            log.add(Problem(Location(raw.file, line, None, key), f"{key} is empty"))
        elif not v:
            log.add(Problem(Location(raw.file, line, None, value), f"{value} is empty for {key} {k}"))
        elif salesforce_ids and not SALESFORCE_ID.fullmatch(v):
            log.add(
                Problem(
                    Location(raw.file, line, None, value),
                    f"{v!r} is not a Salesforce Id (15 or 18 letters and digits)",
                )
            )
        elif k in mapping and mapping[k] != v:
            log.add(
                Problem(
                    Location(raw.file, line, None, key), f"{key} {k} appears again with a different {value}"
                )
            )
        else:
            mapping[k] = v
    log.raise_if_any()
    return mapping


def _as_text(column: pl.Series, file: str, name: str) -> pl.Series:
    """Text, trimmed; whole numbers (a Parquet column of HubSpot ids) are spelled as text."""
    if column.dtype == pl.String:
        return column.str.strip_chars()
    if column.dtype.is_integer():
        return column.cast(pl.String)
    raise BadInput.at(
        f"column {name} holds {column.dtype}; expected text or whole numbers", file, None, None, name
    )


def _require_columns(rows: pl.DataFrame, columns: list[str]) -> None:
    missing = [c for c in columns if c not in rows.columns]
    if missing:
        raise ValueError(f"assignment rows lack column(s) {', '.join(missing)}")
