"""Exporting a stored assignment run in a CRM's own formats."""

from __future__ import annotations

from pathlib import Path
from typing import cast

from territorial.domain.entities import Entity
from territorial.errors import BadInput
from territorial.io.exports import CRMS, FORMATS, Crm, export_assignments
from territorial.services.workspace import run_results
from territorial.store.unit_of_work import WorkspaceStore


def export_run(
    workspace: WorkspaceStore,
    run_id: int,
    fmt: str,
    out_dir: Path,
    territory_ids: Path | None = None,
    user_ids: Path | None = None,
    rep_ids_from: str | None = None,
) -> list[Path]:
    """Write run `run_id`. Rep ids are the CRM's own user ids when the reps were imported from that
    CRM (or `rep_ids_from` says so); otherwise `user_ids` maps them."""
    if fmt not in FORMATS:
        raise BadInput.at(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}", "--format")
    if rep_ids_from is not None and rep_ids_from not in CRMS:
        raise BadInput.at(
            f"unknown CRM {rep_ids_from!r}; expected one of {', '.join(CRMS)}", "--rep-ids-from"
        )
    rows = run_results(workspace, run_id)
    source = rep_ids_from if rep_ids_from is not None else _reps_imported_from(workspace, fmt)
    return export_assignments(
        rows,
        fmt,
        out_dir,
        territory_ids=territory_ids,
        user_ids=user_ids,
        rep_id_source=cast(Crm | None, source),
    )


def _reps_imported_from(workspace: WorkspaceStore, fmt: str) -> str | None:
    """The CRM whose built-in mapping the latest reps import used, when it is the export's CRM."""
    with workspace.unit_of_work() as uow:
        mapping = uow.imports.latest_mapping(Entity.REPS)
    return mapping if mapping == fmt and mapping in CRMS else None
