"""`export decisions`: routing decisions as the owner update each CRM imports (HubSpot contacts,
Salesforce leads), or as plain CSV."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import polars as pl

from territorial.domain.choices import ExportFormat
from territorial.domain.entities import Entity
from territorial.domain.leads import Outcome
from territorial.errors import BadInput
from territorial.io.output import output_folder, write_table
from territorial.services.unit_of_work import WorkspaceStore

HUBSPOT_FILE = "ContactOwnerUpdate.csv"  # HubSpot: Import > Contacts, matched on Record ID
SALESFORCE_FILE = "LeadOwnerUpdate.csv"  # Data Loader: Update on Lead, Id and OwnerId
CSV_FILE = "decisions.csv"
# HubSpot's Lead Status labels (its default options) for leads that reached no rep.
LEAD_STATUS = {Outcome.NURTURE.value: "Unqualified", Outcome.FALLBACK.value: "New"}
CRM_DECIDED = [Outcome.OWNED.value, Outcome.SKIPPED.value]
# A Salesforce User Id: key prefix 005, then 12 (or 15, case-safe) characters.
SALESFORCE_USER_ID = re.compile(r"^005[0-9A-Za-z]{12}([0-9A-Za-z]{3})?$")


@dataclass
class ExportedDecisions:
    written: Path
    rows: int
    unchanged: int = 0  # leads whose owner stays the one their previous decision gave them
    no_rep: int = 0  # nurture and queued leads (HubSpot with lead_status writes their Lead Status)
    no_crm_id: dict[str, int] = field(default_factory=dict)  # rep -> leads left out: no CRM identity
    crm_kept: int = 0  # owned in the CRM already, or converted there: the CRM's word stands


def export_decisions(
    workspace: WorkspaceStore,
    fmt: str,
    out_dir: Path,
    route_run_id: int | None = None,
    since: date | None = None,
    lead_status: bool = False,
) -> ExportedDecisions:
    """Write each chosen lead's latest decision: those of routing run `route_run_id`, or of leads
    dated on or after `since`. The CRM owner updates hold only leads whose owner changes."""
    if (route_run_id is None) == (since is None):
        raise BadInput.at("give the decisions to export with either --run ID or --since DAY", "--run")
    if fmt not in (ExportFormat.CSV, ExportFormat.HUBSPOT, ExportFormat.SALESFORCE):
        raise BadInput.at(f"unknown format {fmt!r}; expected csv, hubspot or salesforce", "--format")
    if lead_status and fmt != ExportFormat.HUBSPOT:
        raise BadInput.at(f"--lead-status is a HubSpot contact property, not used by {fmt}", "--lead-status")
    folder = output_folder(out_dir)
    with workspace.unit_of_work() as uow:
        history = uow.routing.decision_history(route_run_id, since)
        reps = uow.records.read(Entity.REPS, {"rep_id": pl.String(), "email": pl.String()})
    if route_run_id is not None and history.is_empty():
        raise BadInput.at(f"routing run {route_run_id} has no decisions (unknown or undone)", "--run")
    latest = _latest_with_previous(history)
    if fmt == ExportFormat.CSV:
        path = folder / CSV_FILE
        write_table(latest.select("lead_id", "decision", "rep_id", "queue", "route_run_id", "lead_day"), path)
        return ExportedDecisions(path, latest.height)
    # Leads the CRM already gives to a rep (owned) or that it converted (skipped) keep what the CRM
    # says: an owner update would overwrite it, and Salesforce refuses to update a converted lead.
    crm_kept = latest.filter(pl.col("decision").is_in(CRM_DECIDED)).height
    latest = latest.filter(~pl.col("decision").is_in(CRM_DECIDED))
    owned = latest.filter(pl.col("rep_id").is_not_null())
    changed = owned.filter(
        pl.col("previous_rep_id").is_null() | (pl.col("previous_rep_id") != pl.col("rep_id"))
    )
    unowned = latest.filter(pl.col("rep_id").is_null())
    owner = _crm_owner(reps, ExportFormat(fmt))
    with_owner = changed.join(owner, on="rep_id", how="left")
    missing = with_owner.filter(pl.col("owner").is_null()).get_column("rep_id").value_counts(sort=True)
    with_owner = with_owner.filter(pl.col("owner").is_not_null())
    if with_owner.is_empty() and missing.height:
        # Nothing but a header would load nothing and look like success: the reps are likely
        # another CRM's (users imported from HubSpot, exported for Salesforce).
        other = ExportFormat.HUBSPOT if fmt == ExportFormat.SALESFORCE else ExportFormat.SALESFORCE
        identity = (
            "a Salesforce User Id (crm_user_id, or a 005… rep id)"
            if other == ExportFormat.HUBSPOT
            else "a HubSpot owner (crm_owner_id, or an e-mail)"
        )
        raise BadInput.at(
            f"no rep of these {changed.height:,} leads has {identity}, so the {fmt} owner update would "
            f"be empty; were the reps imported from another CRM? try --format {other}",
            "--format",
        )
    if fmt == ExportFormat.SALESFORCE:
        frame = with_owner.select(pl.col("lead_id").alias("Id"), pl.col("owner").alias("OwnerId"))
        path = folder / SALESFORCE_FILE
    else:
        frame = with_owner.select(
            pl.col("lead_id").alias("Record ID"), pl.col("owner").alias("Contact owner")
        )
        if lead_status:
            statuses = unowned.select(
                pl.col("lead_id").alias("Record ID"),
                pl.lit(None, pl.String).alias("Contact owner"),
                pl.col("decision").replace_strict(LEAD_STATUS, default=None).alias("Lead Status"),
            )
            frame = pl.concat([frame.with_columns(pl.lit(None, pl.String).alias("Lead Status")), statuses])
        path = folder / HUBSPOT_FILE
    frame = frame.sort(frame.columns[0])
    write_table(frame, path)
    return ExportedDecisions(
        path,
        frame.height,
        unchanged=owned.height - changed.height,
        no_rep=0 if lead_status else unowned.height,
        no_crm_id=dict(missing.iter_rows()),
        crm_kept=crm_kept,
    )


def _latest_with_previous(history: pl.DataFrame) -> pl.DataFrame:
    """Each lead's latest decision, with the rep of the decision before it (none for a first one)."""
    ordered = history.sort("decision_id").with_columns(
        pl.col("rep_id").shift(1).over("lead_id").alias("previous_rep_id")
    )
    return ordered.group_by("lead_id").last().sort("lead_id")


def _crm_owner(reps: pl.DataFrame, fmt: ExportFormat) -> pl.DataFrame:
    """rep_id -> what the CRM accepts as the owner. HubSpot: the rep's `crm_owner_id` (a custom
    field of the reps data), else their e-mail; Salesforce: their `crm_user_id`, else the rep id
    when it is a User Id (reps imported from Salesforce)."""

    def column(name: str) -> pl.Expr:
        return pl.col(name) if name in reps.columns else pl.lit(None, pl.String)

    if fmt == ExportFormat.HUBSPOT:
        owner = pl.coalesce(column("crm_owner_id"), pl.col("email"))
    else:
        user_id = pl.when(pl.col("rep_id").str.contains(SALESFORCE_USER_ID.pattern)).then(pl.col("rep_id"))
        owner = pl.coalesce(column("crm_user_id"), user_id)
    return reps.select("rep_id", owner.alias("owner"))
