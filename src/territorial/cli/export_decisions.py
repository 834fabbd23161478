"""`export decisions`: routing decisions as a HubSpot contact or Salesforce lead owner update."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from territorial.cli.app import day_of, err, handled, workspace_of
from territorial.cli.workspace import export_app
from territorial.services.decision_export import export_decisions


class DecisionFormat(StrEnum):
    CSV = "csv"
    HUBSPOT = "hubspot"
    SALESFORCE = "salesforce"


@export_app.command("decisions")
@handled
def export_routing_decisions(
    ctx: typer.Context,
    run_id: Annotated[int | None, typer.Option("--run", help="The routing run to export.")] = None,
    since: Annotated[
        str | None, typer.Option("--since", help="Or the leads dated on or after this day (YYYY-MM-DD).")
    ] = None,
    fmt: Annotated[DecisionFormat, typer.Option("--format", help="What to write.")] = DecisionFormat.CSV,
    out_dir: Annotated[
        Path, typer.Option("--out-dir", help="Folder to write into (default: export).")
    ] = Path("export"),
    lead_status: Annotated[
        bool,
        typer.Option(
            "--lead-status",
            help="HubSpot: also write Lead Status (Unqualified for nurture, New for queued leads).",
        ),
    ] = False,
) -> None:
    """Write routing decisions for a CRM: the leads whose owner changes, as HubSpot's contact import
    (Record ID, Contact owner) or Salesforce Data Loader's lead update (Id, OwnerId) reads them."""
    exported = export_decisions(
        workspace_of(ctx), fmt.value, out_dir, run_id, day_of(since, "--since"), lead_status
    )
    err.print(f"wrote {exported.rows:,} leads to {exported.written}", highlight=False)
    left = []
    if exported.already_owned:
        left.append(f"{exported.already_owned:,} already owned by their routed rep in the CRM")
    if exported.unchanged:
        left.append(f"{exported.unchanged:,} whose owner does not change")
    if exported.owned_in_crm:
        left.append(f"{exported.owned_in_crm:,} kept by the rep the CRM gives them to")
    if exported.skipped:
        left.append(f"{exported.skipped:,} skipped: converted, or a customer or opportunity, in the CRM")
    if exported.other_crm:
        other = "hubspot" if fmt is DecisionFormat.SALESFORCE else "salesforce"
        left.append(f"{exported.other_crm:,} whose ids are {other}'s (--format {other} writes them)")
    if exported.no_rep:
        left.append(f"{exported.no_rep:,} in nurture or a queue (no owner)")
    for rep, leads in sorted(exported.no_crm_id.items()):
        left.append(f"{leads:,} of rep {rep}, who has no {fmt.value} owner identity")
    if left:
        err.print("left out: " + "; ".join(left), highlight=False)
