"""`export changes`: the net change of the live assignment since a day, an activation or the last
delta export, written as files a CRM loads; each export moves the watermark `last-export` reads."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import polars as pl

from territorial.domain.choices import Crm, ExportFormat
from territorial.domain.lifecycle import ActivationStatus, ChangeKind
from territorial.engine.live_changes import GONE
from territorial.engine.net_changes import net_changes
from territorial.errors import BadInput
from territorial.io.delta_files import delta_files
from territorial.io.output import check_writable, output_folder, write_files
from territorial.progress import Progress, silent
from territorial.services.context import Context
from territorial.services.export import reps_imported_from
from territorial.services.settings import load_settings
from territorial.services.unit_of_work import UnitOfWork, WorkspaceStore

# `--since last-export`: from where the last delta export stopped.
LAST_EXPORT = "last-export"
FORMATS = (ExportFormat.CSV, ExportFormat.SALESFORCE, ExportFormat.HUBSPOT)
# The lock a delta export takes to move its watermark.
LOCK = "export"


@dataclass(frozen=True)
class DeltaExported:
    """What a delta export wrote: the files, the change sets it covers and what the files hold."""

    written: list[Path]
    after: int  # the change sets after this one...
    through: int  # ... up to this one
    changes: int  # (account, layer) rows whose territory or rep differ, net
    inserts: int = 0
    deletes: int = 0
    not_found: int = 0
    owners: int = 0
    unowned: int = 0


def export_changes(
    workspace: WorkspaceStore,
    ctx: Context,
    since: str,
    fmt: str,
    out_dir: Path,
    *,
    associations: Path | None = None,
    territory_ids: Path | None = None,
    user_ids: Path | None = None,
    rep_ids_from: str | None = None,
    progress: Progress = silent,
) -> DeltaExported:
    """Write the net difference between the live assignment at `since` (a day YYYY-MM-DD: before
    the change sets that took effect that day or later; an activation's id: just before it; or
    `last-export`) and now, in `fmt`, into `out_dir`: every file or none. The export is recorded,
    so `last-export` starts after it next time."""
    chosen = _format(fmt)
    source = _crm(rep_ids_from)
    vacant_owner = load_settings().vacant_owner
    progress("Reading the change log", None)
    with workspace.unit_of_work() as uow:
        after = _after(uow, since.strip())
        sets = uow.changes.sets(after)
        through = sets[-1].change_set_id if sets else after
        # A change set committed after `sets` was read waits for the next export.
        rows = uow.changes.rows_after(after).filter(pl.col("change_set_id") <= through)
        staffed = set(uow.roster.current().get_column("territory_id").to_list())
    if source is None and chosen is not ExportFormat.CSV:
        source = reps_imported_from(workspace, chosen)
    progress(f"Netting {rows.height:,} changed rows", None)
    net = net_changes(rows)
    built = delta_files(
        net,
        chosen,
        vacant_owner=vacant_owner,
        territory_ids=territory_ids,
        user_ids=user_ids,
        rep_id_source=source,
        associations=associations,
        deactivated=GONE,
        staffed=staffed,
    )
    output_folder(out_dir)
    paths = {out_dir / name: data for name, data in built.files.items()}
    check_writable(*paths, inputs=[p for p in (associations, territory_ids, user_ids) if p is not None])
    progress(f"Writing {len(paths)} files", None)
    write_files(paths)
    with workspace.unit_of_work(write=True, lock=LOCK) as uow:
        uow.exports.add(ctx.now(), ctx.actor, since.strip(), chosen.value, through, net.height)
    return DeltaExported(
        list(paths),
        after,
        through,
        net.height,
        built.inserts,
        built.deletes,
        built.not_found,
        built.owners,
        built.unowned,
    )


def _format(fmt: str) -> ExportFormat:
    if fmt not in {f.value for f in FORMATS}:
        raise BadInput.at(f"expected one of {', '.join(FORMATS)}, got {fmt!r}", "--format")
    return ExportFormat(fmt)


def _crm(rep_ids_from: str | None) -> Crm | None:
    if rep_ids_from is not None and rep_ids_from not in set(Crm):
        raise BadInput.at(f"unknown CRM {rep_ids_from!r}; expected one of {', '.join(Crm)}", "--rep-ids-from")
    return None if rep_ids_from is None else Crm(rep_ids_from)


DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _after(uow: UnitOfWork, since: str) -> int:
    """The change set the export starts after: the last one before `since`."""
    if since == LAST_EXPORT:
        last = uow.exports.last_through()
        if last is None:
            raise BadInput.at(
                "no delta export yet, so no last-export to start from; give a day (YYYY-MM-DD) or "
                "an activation's id (`territorial plan list` shows the plans' effective days)",
                "--since",
            )
        return last
    if since.isascii() and since.isdigit():
        return _before_activation(uow, int(since))
    if DAY.fullmatch(since):
        try:
            day = date.fromisoformat(since)
        except ValueError:
            day = None
        if day is not None:
            later = [s.change_set_id for s in uow.changes.sets() if s.effective >= day]
            return min(later) - 1 if later else _last_change_set(uow)
    raise BadInput.at(
        f"expected a day (YYYY-MM-DD), an activation's id or {LAST_EXPORT}, got {since!r}", "--since"
    )


def _before_activation(uow: UnitOfWork, activation_id: int) -> int:
    """The change set just before the one an applied activation made."""
    found = next((a for a in uow.activations.history() if a.activation_id == activation_id), None)
    if found is None:
        raise BadInput.at(f"no activation has the id {activation_id}", "--since")
    if found.status is not ActivationStatus.APPLIED:
        raise BadInput.at(
            f"activation {activation_id} is {found.status.value}: it changed nothing live (yet)", "--since"
        )
    made = [
        s.change_set_id
        for s in uow.changes.sets()
        if s.kind is ChangeKind.ACTIVATION and s.plan_id == found.plan_id and s.effective == found.effective
    ]
    if not made:
        raise BadInput.at(
            f"activation {activation_id} was applied before the change log was kept: give a day", "--since"
        )
    return made[-1] - 1


def _last_change_set(uow: UnitOfWork) -> int:
    sets = uow.changes.sets()
    return sets[-1].change_set_id if sets else 0
