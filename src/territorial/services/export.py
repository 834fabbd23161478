"""Exporting a stored assignment run in a CRM's own formats."""

from __future__ import annotations

from pathlib import Path

from territorial.domain.choices import Crm, ExportFormat
from territorial.domain.entities import Entity
from territorial.errors import BadInput
from territorial.io.exports import export_assignments
from territorial.services.assign import run_results
from territorial.services.unit_of_work import WorkspaceStore


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
    if fmt not in set(ExportFormat):
        raise BadInput.at(f"unknown format {fmt!r}; expected one of {', '.join(ExportFormat)}", "--format")
    if rep_ids_from is not None and rep_ids_from not in set(Crm):
        raise BadInput.at(f"unknown CRM {rep_ids_from!r}; expected one of {', '.join(Crm)}", "--rep-ids-from")
    chosen = ExportFormat(fmt)
    rows = run_results(workspace, run_id)
    source = Crm(rep_ids_from) if rep_ids_from is not None else _reps_imported_from(workspace, chosen)
    return export_assignments(
        rows, chosen, out_dir, territory_ids=territory_ids, user_ids=user_ids, rep_id_source=source
    )


def _reps_imported_from(workspace: WorkspaceStore, fmt: ExportFormat) -> Crm | None:
    """The CRM whose built-in mapping the latest reps import used, when it is the export's CRM."""
    with workspace.unit_of_work() as uow:
        mapping = uow.imports.latest_mapping(Entity.REPS)
    return Crm(mapping) if mapping == fmt.value and mapping in set(Crm) else None
