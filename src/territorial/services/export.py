"""Exporting a stored assignment run in a CRM's own formats."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from territorial.domain.choices import Crm, ExportFormat
from territorial.domain.entities import Entity
from territorial.domain.plan import PRIMARY
from territorial.errors import BadInput
from territorial.io.exports import (
    OWNER_SKIPPED_FILE,
    VACANT,
    export_assignments,
    owner_changes,
    owner_update_skipped,
)
from territorial.services.assign import run_results
from territorial.services.unit_of_work import WorkspaceStore


@dataclass(frozen=True)
class Exported:
    """What an export wrote, and what its owner update left out."""

    written: list[Path]
    unchanged: int = 0  # accounts already owned by their rep: not in the owner update
    vacant: int = 0  # accounts in a vacant territory: no owner to give them
    unassigned: int = 0  # accounts in no primary territory
    skipped_file: Path | None = None  # the list of the vacant and unassigned


def export_run(
    workspace: WorkspaceStore,
    run_id: int,
    fmt: str,
    out_dir: Path,
    territory_ids: Path | None = None,
    user_ids: Path | None = None,
    rep_ids_from: str | None = None,
) -> Exported:
    """Write run `run_id`. Rep ids are the CRM's own user ids when the reps were imported from that
    CRM (or `rep_ids_from` says so); otherwise `user_ids` maps them. An owner update holds only the
    accounts whose owner changes, against the workspace's owner_id as it is now."""
    if fmt not in set(ExportFormat):
        raise BadInput.at(f"unknown format {fmt!r}; expected one of {', '.join(ExportFormat)}", "--format")
    if rep_ids_from is not None and rep_ids_from not in set(Crm):
        raise BadInput.at(f"unknown CRM {rep_ids_from!r}; expected one of {', '.join(Crm)}", "--rep-ids-from")
    chosen = ExportFormat(fmt)
    rows = run_results(workspace, run_id)
    # The reps' import says what their ids are only when no --user-ids file says otherwise: inferring
    # it beside one refused an export given a single option, as if both had been.
    if rep_ids_from is not None:
        source: Crm | None = Crm(rep_ids_from)
    else:
        source = None if user_ids is not None else reps_imported_from(workspace, chosen)
    crm = chosen in (ExportFormat.SALESFORCE, ExportFormat.HUBSPOT)
    owners = _current_owners(workspace) if crm else None
    written = export_assignments(
        rows,
        chosen,
        out_dir,
        territory_ids=territory_ids,
        user_ids=user_ids,
        rep_id_source=source,
        current_owners=owners,
    )
    if not crm:
        return Exported(written)
    skipped = owner_update_skipped(rows)
    vacant = int(skipped.get_column("why").eq(VACANT).sum())
    with_rep = rows.filter((pl.col("layer") == PRIMARY) & pl.col("rep_id").is_not_null()).height
    unchanged = with_rep - owner_changes(rows, owners).height
    return Exported(written, unchanged, vacant, skipped.height - vacant, out_dir / OWNER_SKIPPED_FILE)


def _current_owners(workspace: WorkspaceStore) -> dict[str, str | None]:
    """account_id -> owner_id of the workspace's accounts, as they are now."""
    with workspace.unit_of_work() as uow:
        accounts = uow.records.read(Entity.ACCOUNTS, {"account_id": pl.String(), "owner_id": pl.String()})
    return dict(accounts.select("account_id", "owner_id").iter_rows())


def reps_imported_from(workspace: WorkspaceStore, fmt: ExportFormat) -> Crm | None:
    """The CRM whose built-in mapping the latest reps import used, when it is the export's CRM."""
    with workspace.unit_of_work() as uow:
        mapping = uow.imports.latest_mapping(Entity.REPS)
    return Crm(mapping) if mapping == fmt.value and mapping in set(Crm) else None
