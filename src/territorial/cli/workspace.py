"""Workspace commands: `init`, `db upgrade`, `import ENTITY FILE`, `export assignments` and
`export changes`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from territorial.cli import render
from territorial.cli.app import (
    DeprecatedOutFolder,
    MappingOption,
    app,
    context_of,
    database_url_of,
    err,
    group,
    handled,
    out_folder,
    workspace_of,
)
from territorial.cli.progress import stage_bar
from territorial.domain.choices import Crm, ExportFormat
from territorial.domain.entities import Entity
from territorial.services.delta_export import export_changes
from territorial.services.export import export_run
from territorial.services.imports import import_records
from territorial.services.undo import deactivate as deactivate_records
from territorial.services.undo import undo_import
from territorial.services.workspace import create_workspace

db_app = group("db", "Workspace database maintenance.")
import_app = group(
    "import",
    "Import a CRM export into the workspace: `territorial import ENTITY FILE`, ENTITY being accounts, "
    "reps, opportunities, opportunity_history or leads (`territorial import accounts -h` lists the options). "
    "`territorial import undo IMPORT_ID` takes an import back.",
    default_command=True,
    usage="ENTITY FILE | undo IMPORT_ID",
)
export_app = group("export", "Write stored results for a CRM.")

# How both exports name the CRM's territories and users.
TerritoryIds = Annotated[
    Path | None, typer.Option("--territory-ids", help="CSV territory_id,salesforce_id (Salesforce).")
]
UserIds = Annotated[
    Path | None,
    typer.Option(
        "--user-ids",
        help="CSV with rep_id and salesforce_user_id or hubspot_owner_id: the reps' CRM user ids.",
    ),
]
RepIdsFrom = Annotated[
    Crm | None, typer.Option("--rep-ids-from", help="The rep ids already are that CRM's user ids.")
]


@app.command()
@handled
def init(ctx: typer.Context) -> None:
    """Create a workspace (SQLite ./territorial.db unless --database-url says otherwise)."""
    workspace = create_workspace(database_url_of(ctx))
    err.print(f"workspace ready: {workspace.name}")


@db_app.command("upgrade")
@handled
def db_upgrade(ctx: typer.Context) -> None:
    """Bring an existing workspace's schema to this version of Territorial."""
    workspace = create_workspace(database_url_of(ctx))
    err.print(f"workspace schema is current: {workspace.name}")


@import_app.command("file", hidden=True)  # run as `import ENTITY FILE`
@handled
def import_file(
    ctx: typer.Context,
    entity: Annotated[
        Entity,
        typer.Argument(
            help="What the file holds: accounts, reps, opportunities, opportunity_history or leads."
        ),
    ],
    file: Annotated[Path, typer.Argument(help="CSV (any delimiter), Excel .xlsx or Parquet file.")],
    mapping: MappingOption = None,
    full_sync: Annotated[
        bool,
        typer.Option("--full-sync", help="Mark records missing from the file inactive (nothing is deleted)."),
    ] = False,
    skip_invalid: Annotated[
        bool,
        typer.Option("--skip-invalid", help="Import the good rows; write the rejected ones to --rejects."),
    ] = False,
    rejects: Annotated[
        Path | None,
        typer.Option("--rejects", help="Where rejected rows go (default: <input name>.rejects.csv)."),
    ] = None,
    force: Annotated[
        bool,
        typer.Option("--force", help="Import a file that looks like another entity's export."),
    ] = False,
) -> None:
    """Import a CRM export (CSV, Excel or Parquet) into the workspace: `import accounts FILE`."""
    workspace, context = workspace_of(ctx), context_of(ctx)
    with stage_bar(err) as progress:
        report = import_records(
            workspace, context, entity, file, mapping, full_sync, skip_invalid, rejects, progress, force
        )
    render.import_report(err, report)


@import_app.command("undo")
@handled
def import_undo(
    ctx: typer.Context,
    import_id: Annotated[int, typer.Argument(help="The import to take back (its number).")],
) -> None:
    """Undo an import: records it created become inactive, fields it changed take their earlier
    values, records it deactivated are active again. Nothing is deleted; the undo is kept too."""
    render.undone(err, undo_import(workspace_of(ctx), context_of(ctx), import_id), import_id)


@app.command()
@handled
def deactivate(
    ctx: typer.Context,
    entity: Annotated[
        Entity, typer.Argument(help="accounts, reps, opportunities, opportunity_history or leads.")
    ],
    ids: Annotated[list[str], typer.Argument(help="The ids of the records to mark inactive.")],
) -> None:
    """Mark records inactive: they leave assignment and routing, and their history stays."""
    render.undone(err, deactivate_records(workspace_of(ctx), context_of(ctx), entity, ids), None)


@export_app.command("assignments")
@handled
def export_assignments(
    ctx: typer.Context,
    run_id: Annotated[int, typer.Option("--run", help="The assignment run to export.")],
    fmt: Annotated[ExportFormat, typer.Option("--format", help="What to write.")] = ExportFormat.CSV,
    out_dir: Annotated[
        Path | None, typer.Option("--out-dir", help="Folder to write into (default: export).")
    ] = None,
    old_out: DeprecatedOutFolder = None,
    territory_ids: TerritoryIds = None,
    user_ids: UserIds = None,
    rep_ids_from: RepIdsFrom = None,
) -> None:
    """Write a stored run's assignments as files a CRM can load."""
    source = rep_ids_from.value if rep_ids_from is not None else None
    folder = out_folder(out_dir, old_out, Path("export"))
    exported = export_run(workspace_of(ctx), run_id, fmt.value, folder, territory_ids, user_ids, source)
    for path in exported.written:
        err.print(f"wrote {path}")
    if exported.skipped_file is not None:
        err.print(
            f"the owner update leaves out {exported.unchanged:,} accounts their rep already owns, "
            f"{exported.vacant:,} in vacant territories and {exported.unassigned:,} in no primary "
            f"territory (these two listed in {exported.skipped_file})",
            highlight=False,
        )


@export_app.command("changes")
@handled
def export_changes_command(
    ctx: typer.Context,
    since: Annotated[
        str,
        typer.Option(
            "--since",
            help="YYYY-MM-DD (the changes that took effect that day or later), an activation's id "
            "(from just before it), or last-export (from where the last `export changes` stopped).",
        ),
    ],
    fmt: Annotated[str, typer.Option("--format", help="csv, salesforce or hubspot.")] = "csv",
    out_dir: Annotated[
        Path | None, typer.Option("--out-dir", help="Folder to write into (default: export).")
    ] = None,
    associations: Annotated[
        Path | None,
        typer.Option(
            "--associations",
            help="Salesforce: an export of ObjectTerritory2Association (Id, ObjectId, Territory2Id), "
            "for the Ids of the associations to delete; without it, a README holds the SOQL.",
        ),
    ] = None,
    territory_ids: TerritoryIds = None,
    user_ids: UserIds = None,
    rep_ids_from: RepIdsFrom = None,
) -> None:
    """Write what changed in the live assignment since a day, an activation or the last export, net
    (an account moved and moved back is no change), as files a CRM can load."""
    source = rep_ids_from.value if rep_ids_from is not None else None
    folder = out_dir if out_dir is not None else Path("export")
    with stage_bar(err) as progress:
        done = export_changes(
            workspace_of(ctx),
            context_of(ctx),
            since,
            fmt,
            folder,
            associations=associations,
            territory_ids=territory_ids,
            user_ids=user_ids,
            rep_ids_from=source,
            progress=progress,
        )
    for path in done.written:
        err.print(f"wrote {path}")
    covered = (
        f"change sets {done.after + 1} to {done.through}" if done.through > done.after else "no change set"
    )
    err.print(f"{done.changes:,} (account, layer) rows changed, net, over {covered}", highlight=False)
    if fmt != "csv":
        err.print(
            f"{done.owners:,} owner updates, {done.unowned:,} accounts with no rep (in Unowned.csv), "
            f"{done.inserts:,} territory associations to insert and {done.deletes:,} to delete",
            highlight=False,
        )
    if done.not_found:
        err.print(
            f"[yellow]warning: {done.not_found:,} associations to delete are not in {associations} "
            "(deleted already, or the file is older than the export)[/yellow]",
            highlight=False,
        )
