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
from territorial.domain.leads import SALESFORCE_LEAD_ID, Outcome
from territorial.errors import BadInput
from territorial.io.crm_mappings import crm_label
from territorial.io.output import output_folder, write_table
from territorial.services.unit_of_work import WorkspaceStore

HUBSPOT_FILE = "ContactOwnerUpdate.csv"  # HubSpot: Import > Contacts, matched on Record ID
SALESFORCE_FILE = "LeadOwnerUpdate.csv"  # Data Loader: Update on Lead, Id and OwnerId
CSV_FILE = "decisions.csv"
# HubSpot's Lead Status labels (its default options) for leads that reached no rep.
LEAD_STATUS = {Outcome.NURTURE.value: "Unqualified", Outcome.FALLBACK.value: "New"}
# A Salesforce User Id: key prefix 005, then 12 (or 15, case-safe) characters.
SALESFORCE_USER_ID = re.compile(r"^005[0-9A-Za-z]{12}([0-9A-Za-z]{3})?$")
HUBSPOT_RECORD_ID = r"^\s*[0-9]+\s*$"  # HubSpot's ids are all digits; a Salesforce Id never is
# The ids of the other CRM's leads, which this CRM's import cannot match: HubSpot matches contacts by
# their Record ID and Data Loader leads by their Lead Id (00Q…).
OTHER_CRMS_IDS = {ExportFormat.SALESFORCE: HUBSPOT_RECORD_ID, ExportFormat.HUBSPOT: SALESFORCE_LEAD_ID}
OTHER_CRMS_IDS_SAID = {
    ExportFormat.SALESFORCE: "HubSpot Record IDs (all digits), not Salesforce Lead Ids (00Q…)",
    ExportFormat.HUBSPOT: "Salesforce Lead Ids (00Q…), not HubSpot Record IDs",
}


@dataclass
class ExportedDecisions:
    written: Path
    rows: int
    unchanged: int = 0  # leads whose owner stays the one their previous decision gave them
    no_rep: int = 0  # nurture and queued leads (HubSpot with lead_status writes their Lead Status)
    no_crm_id: dict[str, int] = field(default_factory=dict)  # rep -> leads left out: no CRM identity
    owned_in_crm: int = 0  # kept by the rep the CRM gives them to (owned): the CRM's word stands
    skipped: int = 0  # converted, or a customer or opportunity, in the CRM: never routed
    already_owned: int = 0  # the CRM already gives them to the rep they were routed to
    other_crm: int = 0  # leads whose ids are the other CRM's: this CRM's import cannot match them


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
    fmt_ = ExportFormat(fmt)
    latest, other_crm = _this_crms_leads(latest, fmt_)
    # Leads the CRM already gives to a rep (owned) or that it converted or has as a customer
    # (skipped) keep what the CRM says: an owner update would overwrite it, and Salesforce refuses
    # to update a converted lead.
    owned_in_crm = latest.filter(pl.col("decision") == Outcome.OWNED.value).height
    skipped = latest.filter(pl.col("decision") == Outcome.SKIPPED.value).height
    latest = latest.filter(~pl.col("decision").is_in([Outcome.OWNED.value, Outcome.SKIPPED.value]))
    owned = latest.filter(pl.col("rep_id").is_not_null())
    # The CRM's owner when the lead was routed, when the lead came with one, is what an update
    # changes; else the rep of the lead's previous decision (an owner update loaded since).
    crm_has_it = (pl.col("crm_owner_rep_id") == pl.col("rep_id")).fill_null(False)
    already = owned.filter(crm_has_it)
    owned = owned.filter(~crm_has_it)
    changed = owned.filter(
        pl.col("crm_owner").is_not_null()
        | pl.col("previous_rep_id").is_null()
        | (pl.col("previous_rep_id") != pl.col("rep_id"))
    )
    unowned = latest.filter(pl.col("rep_id").is_null())
    owner = _crm_owner(reps, fmt_)
    with_owner = changed.join(owner, on="rep_id", how="left")
    missing = with_owner.filter(pl.col("owner").is_null()).get_column("rep_id").value_counts(sort=True)
    with_owner = with_owner.filter(pl.col("owner").is_not_null())
    # The CRM named its owner as this update would (an e-mail, a User Id) without naming a rep here.
    named_so = with_owner.get_column("crm_owner").str.strip_chars().str.to_lowercase() == (
        with_owner.get_column("owner").str.to_lowercase()
    )
    already_named = int(named_so.fill_null(False).sum())
    with_owner = with_owner.filter(~named_so.fill_null(False))
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
        owned_in_crm=owned_in_crm,
        skipped=skipped,
        already_owned=already.height + already_named,
        other_crm=other_crm,
    )


def _this_crms_leads(latest: pl.DataFrame, fmt: ExportFormat) -> tuple[pl.DataFrame, int]:
    """The leads whose ids this CRM's import can match, and how many are the other CRM's. When every
    lead is the other CRM's, the file would load nothing: refused, naming the format to use."""
    other = latest.get_column("lead_id").str.contains(OTHER_CRMS_IDS[fmt])
    theirs = int(other.sum())
    if theirs and theirs == latest.height:
        came_from = ExportFormat.HUBSPOT if fmt == ExportFormat.SALESFORCE else ExportFormat.SALESFORCE
        raise BadInput.at(
            f"these {theirs:,} leads came from {crm_label(came_from.value)}: their ids are "
            f"{OTHER_CRMS_IDS_SAID[fmt]}, so {crm_label(fmt.value)} could update none of them and the "
            f"owner update would be empty; use --format {came_from.value} (or --format csv)",
            "--format",
        )
    return latest.filter(~other), theirs


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
