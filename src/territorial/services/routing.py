"""Lead routing use cases: route a batch of leads or one lead, explain a decision, report fairness."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from difflib import get_close_matches
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from territorial.domain.entities import LEADS, Entity
from territorial.domain.fields import canonical
from territorial.domain.leads import (
    AccountMatch,
    AccountOwner,
    Earlier,
    FitVerdict,
    Lead,
    Outcome,
    RelevanceVerdict,
    Routed,
    Step,
)
from territorial.domain.plan import Plan
from territorial.domain.reps import Rep, owner_index, owner_key
from territorial.domain.stored import StoredDecision
from territorial.engine.checks import check_plan
from territorial.engine.compiled import CompiledPlan
from territorial.engine.single import TerritoryFinder
from territorial.errors import BadInput, Location, Problem
from territorial.io.accounts import type_accounts
from territorial.io.availability import read_availability
from territorial.io.crm_mappings import MappedTable, file_mapping, mapping_for
from territorial.io.leads import LEAD_ID, lead_types, read_leads, typed_lead
from territorial.io.plan_file import load_plan
from territorial.io.reps import read_reps, rep_identities
from territorial.io.tables import RawTable
from territorial.progress import Progress, silent
from territorial.routing.match import AccountMatcher
from territorial.routing.round_robin import RoundRobin
from territorial.routing.route import LeadRouter
from territorial.rules.ast import fields_of
from territorial.rules.to_polars import POLARS_TYPES
from territorial.services.assign import apply_reps
from territorial.services.context import Context
from territorial.services.imports import check_entity
from territorial.services.lead_audit import (
    ROUTE_LOCK,
    decisions_frame,
    pool_states,
    record_decisions,
)
from territorial.services.permissions import may_route
from territorial.services.plans import plan_reference, stored_plan
from territorial.services.scoring import load_fit_model, model_columns, relevance_model
from territorial.services.unit_of_work import UnitOfWork, WorkspaceStore
from territorial.services.workspace import load_accounts, open_pipeline

if TYPE_CHECKING:  # scikit-learn loads only when the plan scores leads
    from territorial.scoring.fit import FitModel

OUTPUT_COLUMNS = (
    "lead_id",
    "decision",
    "rep_id",
    "territory_id",
    "matched_account_id",
    "score",
    "reason",
    "relevance",
    "product",
    "queue",
)
WORKSPACE_LEADS = "workspace leads"  # the source of a routing run of imported leads
CRM_STATUS_FIELDS = ("owner_id", "lifecycle_stage", "converted")  # what the CRM says of a lead now
_MATCH_COLUMNS = ("lead_id", "company", "email", "website", "country", "state", "postal_code")


@dataclass
class Router:
    """Everything routing needs, loaded once: the plan, reps, the account index and the models."""

    plan: Plan
    plan_id: int | None
    lead_router: LeadRouter
    matcher: AccountMatcher | None
    fit_model: FitModel | None
    relevance: Any | None  # scoring.relevance.RelevanceModel, imported only when the plan uses it
    warnings: list[Problem] = field(default_factory=list)
    accounts: int = 0
    owners: dict[str, str] = field(default_factory=dict)  # what a CRM names an owner by -> rep (owner_index)


@dataclass
class RoutedBatch:
    route_run_id: int | None  # None: nothing stored (a dry run, or every lead was already routed)
    decisions: list[Routed]
    rows: pl.DataFrame  # the output file's rows, in input order
    warnings: list[Problem]
    # The file's columns nothing in routing reads, as the file names them (a silently unused
    # "State/Region" sends leads to the fallback queue), and what routing does read.
    unused_columns: list[str] = field(default_factory=list)
    read_columns: list[str] = field(default_factory=list)


OPEN_PIPELINE = "open_pipeline"  # a field the customer rule may read: the account's open deals' amounts

# ---- loading ------------------------------------------------------------------------------------


def open_router(
    workspace: WorkspaceStore,
    plan: str | Path | int,
    reps_path: str | Path | None = None,
    availability_path: str | Path | None = None,
    progress: Progress = silent,
    mapping: str | Path | None = None,
    reassign_owned: bool = False,
) -> Router:
    """Load a plan (a file, or a stored plan's id), the workspace's accounts and reps, and the models.
    With `mapping`, a reps file is read as `import reps` reads it. `reassign_owned` routes the leads
    the CRM gives to a rep as if they had no owner, as the plan's `crm_owner: reassign` does."""
    plan = plan_reference(plan, workspace)
    with workspace.unit_of_work() as uow:
        if isinstance(plan, int):
            progress(f"Reading plan {plan}", None)
            loaded, plan_id, base = stored_plan(uow, plan), plan, Path.cwd()
        else:
            progress(f"Reading the plan {plan}", None)
            loaded, plan_id, base = load_plan(plan), None, Path(plan).resolve().parent
        progress("Reading the workspace's accounts", None)
        book = load_accounts(uow, loaded.fields, loaded.null_words)
        workspace_reps = None if reps_path is not None else uow.reps.list()
        # A lead's CRM owner may be named by a rep's CRM user or owner id, kept as custom fields.
        identities = (
            uow.records.read(Entity.REPS, {"rep_id": pl.String(), "name": pl.String(), "email": pl.String()})
            if reps_path is None
            else None
        )
        states = pool_states(uow)
        pipeline = open_pipeline(uow) if _customer_reads_pipeline(loaded) else None
    if reassign_owned:
        loaded = replace(loaded, routing=replace(loaded.routing, crm_owner="reassign"))
    # The rules run on leads, and on a matched account's fields: a lead field such as `source` is
    # known even when no account has it.
    leads_schema = lead_types(loaded.fields)
    warnings = check_plan(
        loaded,
        {**leads_schema, **book.schema},
        [*book.field_names, *(f for f in leads_schema if f not in book.schema)],
    )
    listed = read_reps(reps_path, mapping) if reps_path is not None else workspace_reps
    if listed:
        reps = {rep.rep_id: rep for rep in listed}
        loaded, rep_warnings = apply_reps(
            loaded, {r: rep.active for r, rep in reps.items()}, _source(reps_path)
        )
        warnings += rep_warnings
    else:  # no reps known: the plan's reps take leads as they come
        named = [r for t in loaded.territories for r in (*t.reps, *([t.manager] if t.manager else []))]
        reps = {r: Rep(r) for r in named}
    away = read_availability(availability_path, set(reps)) if availability_path is not None else {}
    if reps_path is not None:  # its crm_user_id and crm_owner_id columns name owners too
        identities = rep_identities(reps_path, mapping)
    if identities is None or identities.is_empty():
        identities = pl.DataFrame(
            [(r.rep_id, r.name, r.email) for r in reps.values()],
            schema={"rep_id": pl.String, "name": pl.String, "email": pl.String},
            orient="row",
        )
    pool_reps = {rep_id: rep for rep_id, rep in reps.items() if rep.active}

    matcher = None
    owners: dict[str, int] = {}
    frame = book.frame.rename({name: key for key, name in book.columns.items()})
    frame, customer_warnings = _customer_fields(loaded, frame, pipeline)
    warnings += customer_warnings
    if len(book):
        progress(f"Indexing {len(book):,} accounts for lead matching", None)
        columns = [
            c for c in ("account_id", "name", "website", "country", "state", "postal_code") if c in frame
        ]
        matcher = AccountMatcher().fit(frame.select(columns))
        owners = {account_id: row for row, account_id in enumerate(frame.get_column("account_id").to_list())}

    def account(account_id: str) -> AccountOwner | None:
        row = owners.get(account_id)
        if row is None:
            return None
        record = frame.row(row, named=True)
        owner = record.get("owner_id")
        return AccountOwner(owner_id=None if owner is None else str(owner), record=record)

    compiled = CompiledPlan(loaded)
    pools = {
        territory_id: RoundRobin.from_state(pool, state, away)
        for territory_id, state in states.items()
        if territory_id in loaded.by_id
        and (pool := [pool_reps[r] for r in loaded.by_id[territory_id].reps if r in pool_reps])
    }
    settings = loaded.routing
    fit_model = None
    if settings.fit_model is not None:
        progress("Loading the fit model", None)
        fit_model = load_fit_model(_resolve(settings.fit_model, base, loaded, "fit_model"))
    relevance = None
    if settings.catalogue is not None:
        progress("Loading the inquiry relevance model", None)
        relevance = relevance_model(
            _resolve(settings.catalogue, base, loaded, "catalogue"), settings.relevance_threshold
        )
    router = LeadRouter(TerritoryFinder(compiled), settings, pool_reps, account, pools, away=away)
    return Router(
        loaded, plan_id, router, matcher, fit_model, relevance, warnings, len(book), owner_index(identities)
    )


def _customer_reads_pipeline(plan: Plan) -> bool:
    rule = plan.routing.customer
    return rule is not None and OPEN_PIPELINE in fields_of(rule)


def _customer_fields(
    plan: Plan, frame: pl.DataFrame, pipeline: pl.DataFrame | None
) -> tuple[pl.DataFrame, list[Problem]]:
    """The accounts with `open_pipeline` (their open deals' amounts) when the customer rule reads it,
    and a warning for each field the rule names that no account has: it is empty for every account."""
    rule = plan.routing.customer
    if rule is None:
        return frame, []
    if OPEN_PIPELINE in fields_of(rule) and OPEN_PIPELINE not in frame.columns:
        amounts = (
            pipeline.select("account_id", pl.col("value").cast(pl.Float64).alias(OPEN_PIPELINE))
            if pipeline is not None
            else pl.DataFrame(schema={"account_id": pl.String, OPEN_PIPELINE: pl.Float64})
        )
        frame = frame.join(amounts, on="account_id", how="left", maintain_order="left").with_columns(
            pl.col(OPEN_PIPELINE).fill_null(0.0)
        )
    source = plan.routing.customer_source
    where = Location(
        plan.file,
        source.line if source else plan.routing.line_of("customer"),
        source.column if source else None,
        "routing.customer",
    )
    missing = sorted(name for name in fields_of(rule) if name not in frame.columns)
    return frame, [
        Problem(
            where,
            f"no account has the field '{name}': the customer rule reads it as empty{_near(name, frame)}",
        )
        for name in missing
    ]


def _near(name: str, frame: pl.DataFrame) -> str:
    """ "; did you mean 'lifecycle_stage'?" for a field an account has and `name` is close to."""
    close = get_close_matches(name, [c for c in frame.columns if c != name], n=1, cutoff=0.7)
    return f"; did you mean '{close[0]}'?" if close else ""


def _source(reps_path: str | Path | None) -> str:
    return str(reps_path) if reps_path is not None else "the workspace's reps"


def _resolve(path: str, base: Path, plan: Plan, key: str) -> Path:
    """A file the plan names, relative to the plan file (a stored plan names its kept copies, or for
    a file it could not keep, a path relative to the working directory)."""
    resolved = Path(path) if Path(path).is_absolute() else base / path
    if not resolved.exists():
        line = plan.routing.line_of(key)
        raise BadInput(
            [Problem(Location(plan.file, line, None, f"routing.{key}"), f"file not found: {resolved}")]
        )
    return resolved


# ---- facts about leads --------------------------------------------------------------------------


def lead_facts(
    router: Router, raw: pl.DataFrame, records: Sequence[Mapping[str, Any]], today: date, source: str = "lead"
) -> list[Lead]:
    """Score, check and match a batch of leads in bulk; the router then decides one by one.

    `raw` holds the leads as read (what the fit model was trained on); `records` the same leads typed,
    under canonical field names (what the plan's rules read)."""
    settings = router.plan.routing
    height = len(records)
    fits: list[FitVerdict | None] = [None] * height
    if router.fit_model is not None:
        raw = model_columns(router.fit_model, raw)  # a model trained on another header set
    if router.fit_model is not None and height == 1:
        # One lead (route_lead): the model's one-lead path gives the same score and reasons without
        # the batch path's per-call costs, which are tens of milliseconds.
        try:
            fits = [FitVerdict(*router.fit_model.judge_one(raw.row(0, named=True), settings.fit_threshold))]
        except BadInput as err:
            raise err.in_file(source) from None
    elif router.fit_model is not None:
        try:
            scores = np.rint(router.fit_model.predict_proba(raw)[:, 1] * 100).astype(np.int64)
        except BadInput as err:
            raise err.in_file(source) from None
        threshold = settings.fit_threshold
        # Reasons cost one prediction per feature, so only leads that are turned away get them.
        low = [row for row in range(height) if threshold is not None and scores[row] < threshold]
        reasons = dict(zip(low, router.fit_model.reasons(raw[low]) if low else [], strict=True))
        fits = [FitVerdict(int(scores[row]), reasons.get(row, "")) for row in range(height)]
    inquiry_field = canonical(settings.inquiry_field)
    texts = [record.get(inquiry_field) for record in records]
    relevances: list[RelevanceVerdict | None] = [None] * height
    if router.relevance is not None:
        if not any(inquiry_field in record for record in records):
            raise BadInput.at(
                f"the plan's routing checks inquiries in the field '{settings.inquiry_field}', "
                "which the leads lack",
                source,
            )
        asked = [row for row, text in enumerate(texts) if text and str(text).strip()]
        judged = router.relevance.score([str(texts[row]) for row in asked])
        for row, verdict in zip(asked, judged, strict=True):
            relevances[row] = RelevanceVerdict(
                verdict.score, verdict.product_id, verdict.relevant, router.relevance.threshold_
            )
    return [
        Lead(
            lead_id=str(record[LEAD_ID]),
            day=record.get("created") or today,
            email=_email(record.get("email")),
            record=record,
            inquiry=None if texts[row] is None else str(texts[row]),
            fit=fits[row],
            relevance=relevances[row],
            match=match,
            owner_rep_id=_owner_rep(router, record.get("owner_id")),
        )
        for row, (record, match) in enumerate(zip(records, _matches(router, records), strict=True))
    ]


def _owner_rep(router: Router, owner: object) -> str | None:
    """The rep a lead's CRM owner names, if any (see owner_index)."""
    if owner is None or not str(owner).strip():
        return None
    return router.owners.get(owner_key(owner))


def _matches(router: Router, records: Sequence[Mapping[str, Any]]) -> list[AccountMatch | None]:
    if router.matcher is None:
        return [None] * len(records)
    if len(records) == 1:  # one lead: the columnar pass would cost more than the match itself
        text = {c: None if records[0].get(c) is None else str(records[0][c]) for c in _MATCH_COLUMNS}
        one = router.matcher.match_one(text)
        found = [(one.account_id, one.confidence, one.reason)]
    else:
        frame = pl.DataFrame(
            {c: [None if r.get(c) is None else str(r[c]) for r in records] for c in _MATCH_COLUMNS},
            schema=dict.fromkeys(_MATCH_COLUMNS, pl.String),
        )
        found = list(router.matcher.match(frame).select("account_id", "confidence", "reason").iter_rows())
    return [
        AccountMatch(account_id, confidence, reason) if account_id is not None else None
        for account_id, confidence, reason in found
    ]


def _email(value: object) -> str | None:
    text = str(value).strip().lower() if value is not None else ""
    return text or None


# ---- routing ------------------------------------------------------------------------------------


def route_leads(
    workspace: WorkspaceStore,
    ctx: Context,
    leads_path: str | Path,
    plan: str | Path | int,
    reps_path: str | Path | None = None,
    availability_path: str | Path | None = None,
    today: date | None = None,
    progress: Progress = silent,
    mapping: str | Path | None = None,
    how: RouteMode | None = None,
) -> RoutedBatch:
    """Route a file of leads with a plan (a stored plan's id or a plan file), the workspace's accounts
    and its reps (or a reps file), and store every decision with its path."""
    how = how or RouteMode()
    router = open_router(workspace, plan, reps_path, availability_path, progress, mapping, how.reassign_owned)
    return route_file(workspace, ctx, router, leads_path, today, progress, mapping, how)


@dataclass(frozen=True)
class RouteMode:
    """How a batch treats the workspace: `reroute` routes leads already routed again on purpose (each
    new decision says what it replaces); `dry_run` decides without storing or moving a pool;
    `reassign_owned` routes leads the CRM already gives to a rep as if they had no owner."""

    reroute: bool = False
    dry_run: bool = False
    reassign_owned: bool = False  # route leads the CRM gives to a rep anyway (crm_owner: reassign)


def route_file(
    workspace: WorkspaceStore,
    ctx: Context,
    router: Router,
    leads_path: str | Path,
    today: date | None = None,
    progress: Progress = silent,
    mapping: str | Path | None = None,
    how: RouteMode | None = None,
) -> RoutedBatch:
    """Route every lead of a file, oldest first, store the decisions and return them in file order.
    Leads without a created date take `today` (default: the context's day). With `mapping`
    (salesforce: Id, Email, Company, CreatedDate...), the file is read as `import leads` reads it.
    A lead already routed keeps its stored decision, given back marked `already routed`, unless
    `how.reroute`."""
    raw, typed, read_warnings = read_leads(leads_path, router.plan.fields, mapping)
    check_leads_file(raw, typed, mapping)
    batch = _route_frame(
        workspace, ctx, router, raw.frame, typed, raw.file, today, progress, how or RouteMode()
    )
    read = columns_routing_reads(router)
    unused = [raw.sources.get(c, c) for c in raw.frame.columns if canonical(c) not in read]
    return replace(
        batch,
        warnings=[*read_warnings, *batch.warnings],
        unused_columns=unused,
        read_columns=sorted(read),
    )


def check_leads_file(raw: RawTable, typed: pl.DataFrame, mapping: str | Path | None) -> None:
    """Refuse another entity's export given as leads (Salesforce Accounts or Users, HubSpot companies
    or deals) with `import leads`'s own check (check_entity): routing it would hand companies or
    colleagues to reps, and its owner update would be written back to the CRM. Its fields are
    counted only in a file read with --mapping, a CRM's export: a plain leads file may carry a fit
    model's many columns."""
    chosen = file_mapping(mapping, Entity.LEADS)
    sources = raw.sources or {canonical(c): c for c in raw.header}
    check_entity(
        MappedTable(typed, chosen or mapping_for(None, Entity.LEADS), raw, sources, ()),
        "route takes a leads export",
        count_fields=chosen is not None,
    )


def columns_routing_reads(router: Router) -> set[str]:
    """The lead fields routing reads: the id and date, what matching compares, the fields the plan's
    rules and lead skills name, the inquiry when a catalogue checks it, and the fit model's features."""
    plan = router.plan
    read = {LEAD_ID, "created", *_MATCH_COLUMNS, *CRM_STATUS_FIELDS}
    for territory in plan.territories:
        read |= fields_of(territory.rule) if territory.rule is not None else set()
        read |= set(territory.lead_skills)
    if router.relevance is not None:
        read.add(canonical(plan.routing.inquiry_field))
    if router.fit_model is not None:
        read |= {canonical(feature.source) for feature in router.fit_model.features_}
    return read


def route_workspace_leads(
    workspace: WorkspaceStore,
    ctx: Context,
    router: Router,
    since: date | None = None,
    today: date | None = None,
    progress: Progress = silent,
    dry_run: bool = False,
) -> RoutedBatch | None:
    """Route the workspace's imported (active) leads that were never routed, and those an import has
    since given to another rep who takes leads, created on or after `since` when given, oldest
    first; None when no lead is waiting. A dry run stores nothing."""
    types = {name: POLARS_TYPES[ftype] for name, ftype in LEADS.fields.items()}
    with workspace.unit_of_work() as uow:
        progress("Reading the workspace's leads", None)
        stored = uow.records.read(Entity.LEADS, types, active_only=True)
        routed = uow.routing.routed_among(stored.get_column(LEAD_ID).to_list())
        # A routed lead an import has since given to another rep who takes leads (a manager's move
        # in the CRM) is routed again, to store the CRM's word: the next owner update keeps it.
        owned = stored.filter(pl.col(LEAD_ID).is_in(sorted(routed)) & pl.col("owner_id").is_not_null())
        before = uow.routing.latest_decisions_for(owned.get_column(LEAD_ID).to_list())
    moved = _reassigned_in_crm(router, owned.select(LEAD_ID, "owner_id").iter_rows(), before)
    waiting = stored.filter(~pl.col(LEAD_ID).is_in(sorted(routed - moved)))
    if since is not None:
        waiting = waiting.filter(pl.col("created") >= since)
    waiting = waiting.sort(LEAD_ID).select(
        c for c in waiting.columns if waiting.get_column(c).null_count() < waiting.height
    )
    if waiting.is_empty():
        return None
    table = RawTable(waiting, WORKSPACE_LEADS, is_csv=False, header=waiting.columns)
    book = type_accounts(table, lead_types(router.plan.fields), id_column=LEAD_ID)
    typed = book.frame.rename({name: key for key, name in book.columns.items()})
    # The fit model reads leads as a file gives them: text.
    raw = waiting.select(pl.all().cast(pl.String))
    how = RouteMode(dry_run=dry_run)
    return _route_frame(workspace, ctx, router, raw, typed, WORKSPACE_LEADS, today, progress, how)


def _route_frame(
    workspace: WorkspaceStore,
    ctx: Context,
    router: Router,
    raw: pl.DataFrame,
    typed: pl.DataFrame,
    source: str,
    today: date | None,
    progress: Progress,
    how: RouteMode,
) -> RoutedBatch:
    if not how.dry_run:
        may_route(ctx.principal)
    today = today or ctx.now().date()
    ids = typed.get_column(LEAD_ID).cast(pl.String).to_list()
    with workspace.unit_of_work() as uow:
        before = uow.routing.latest_decisions_for(ids)
    # Routing is idempotent by lead id: a lead routed before is not routed (nor scored) again, so
    # re-sending it, or re-running its file, moves no pool pointer and queues nothing twice. But for
    # one the CRM has since given to another rep who takes leads (a manager's reassignment): the
    # CRM's word is stored, so the next owner update does not undo it.
    owners = typed.get_column("owner_id").to_list() if "owner_id" in typed.columns else [None] * len(ids)
    reassigned = _reassigned_in_crm(router, zip(ids, owners, strict=True), before)
    kept = [
        row
        for row, lead_id in enumerate(ids)
        if how.reroute or lead_id not in before or lead_id in reassigned
    ]
    fresh = typed[kept] if len(kept) < len(ids) else typed
    progress(f"Scoring and matching {fresh.height:,} leads", None)
    leads = (
        lead_facts(router, raw[kept] if len(kept) < len(ids) else raw, fresh.to_dicts(), today, source)
        if kept
        else []
    )
    warnings = list(router.warnings)
    order = sorted(range(len(leads)), key=lambda i: (leads[i].day, leads[i].lead_id.encode()))
    turns = _Turns(router, leads, order, before, how, reassigned)
    # Scoring and matching (above) and giving the turns take the time, outside the routing lock
    # (SQLite's lock is the whole database's: a job's progress could not be written under it). The
    # turns start from the pools as stored now; if another process routes before this batch is
    # stored, they are given again under the lock from the pools as they then stand, so a batch
    # running beside the API never gives a turn twice.
    with workspace.unit_of_work() as uow:
        seen = turns.start(uow)
    decided = turns.give(progress)
    run_id = None
    if decided and not how.dry_run:
        progress(f"Storing {len(decided):,} decisions", None)
        with workspace.unit_of_work(write=True, lock=ROUTE_LOCK) as uow:
            if _routing_version(uow) != seen:
                turns.start(uow)
                decided = turns.give(silent)  # under the lock, where a job's progress cannot be written
            new = [decided[i] for i in range(len(leads)) if i in decided]
            run_id = store_routed(uow, ctx, router, source, new, ctx.now()) if new else None
    by_row = {row: decided[i] for i, row in enumerate(kept) if i in decided}
    decisions = [
        by_row[row] if row in by_row else already_routed(turns.before[ids[row]]) for row in range(len(ids))
    ]
    return RoutedBatch(run_id, decisions, decisions_frame(decisions), warnings)


def _routing_version(uow: UnitOfWork) -> tuple[int, int]:
    """What moves whenever any process routes or undoes routing: the pools may have moved."""
    return uow.routing.latest_run_id(), uow.routing.undone_runs()


class _Turns:
    """A batch's leads given their turns, oldest first, from the pools as stored at `start`."""

    def __init__(
        self,
        router: Router,
        leads: Sequence[Lead],
        order: list[int],
        before: dict[str, StoredDecision],
        how: RouteMode,
        reassigned: set[str],
    ) -> None:
        self.router, self.leads, self.how, self.reassigned = router, leads, how, reassigned
        self.all_order, self.order, self.before = order, order, dict(before)
        self.first_before = dict(before)

    def start(self, uow: UnitOfWork) -> tuple[int, int]:
        """Take the pools and the duplicate window as stored, and leave out leads another process
        routed since `before` was read; the routing version read."""
        lead_router = self.router.lead_router
        lead_router.pools.clear()
        lead_router.earlier.clear()
        lead_router.touched.clear()
        lead_router.carry_on(pool_states(uow))
        self.before, self.order = dict(self.first_before), self.all_order
        if not self.how.reroute:  # routed by another process since `before` was read: not routed twice
            since = uow.routing.latest_decisions_for([self.leads[i].lead_id for i in self.order])
            self.before.update(since)
            self.order = [
                i
                for i in self.order
                if self.leads[i].lead_id not in since or self.leads[i].lead_id in self.reassigned
            ]
        # A lead routed again must not count as a duplicate of its own earlier decision.
        skip = set(self.before) if self.how.reroute else self.reassigned
        _remember_earlier(uow, self.router, self.leads, skip=skip)
        return _routing_version(uow)

    def give(self, progress: Progress) -> dict[int, Routed]:
        routing = f"Routing {len(self.leads):,} leads"
        progress(routing, 0.0)
        why = "rerouted on purpose" if self.how.reroute else "its owner changed in the CRM"
        decided: dict[int, Routed] = {}
        for done, index in enumerate(self.order, start=1):
            decided[index] = _rerouted(self.router.lead_router.route(self.leads[index]), self.before, why)
            if done % 500 == 0 or done == len(self.order):
                progress(routing, done / len(self.order))
        return decided


def already_routed(stored: StoredDecision) -> Routed:
    """A lead's stored decision, given back as it was when the lead is sent again."""
    return Routed(
        lead_id=stored.lead_id,
        outcome=Outcome(stored.decision),
        rep_id=stored.rep_id,
        territory_id=stored.territory_id,
        matched_account_id=stored.matched_account_id,
        score=stored.score,
        relevance=stored.relevance,
        product=stored.product,
        queue=stored.queue,
        in_pool=False,  # shared in its own run: this batch's fairness must not count it again
        reason=f"already routed in run {stored.route_run_id}: {stored.reason}",
        path=tuple(Step(s["step"], s["inputs"], s["outcome"]) for s in stored.path),
        day=stored.lead_day,
        email=None,
        already_routed=True,
    )


def _rerouted(
    decision: Routed, before: Mapping[str, StoredDecision], why: str = "rerouted on purpose"
) -> Routed:
    """A lead routed again: its reason says why and which decision it replaces."""
    earlier = before.get(decision.lead_id)
    if earlier is None:
        return decision
    was = earlier.rep_id or (f"queue {earlier.queue}" if earlier.queue else "nobody")
    return replace(
        decision,
        reason=f"{why} (was {earlier.decision} to {was} in run {earlier.route_run_id}): " + decision.reason,
    )


def _reassigned_in_crm(
    router: Router, owners: Iterable[tuple[str, object]], before: Mapping[str, StoredDecision]
) -> set[str]:
    """The leads routed before (lead id, CRM owner) whose CRM owner is now another rep who takes
    leads, while the plan keeps CRM owners (crm_owner: keep)."""
    if router.plan.routing.crm_owner != "keep" or not before:
        return set()
    found = set()
    for lead_id, owner in owners:
        earlier = before.get(lead_id)
        rep = _owner_rep(router, owner)
        if (
            earlier is not None
            and rep is not None
            and rep in router.lead_router.reps
            and rep != earlier.rep_id
        ):
            found.add(lead_id)
    return found


def route_lead(
    workspace: WorkspaceStore,
    ctx: Context,
    router: Router,
    lead: Mapping[str, Any],
    store: bool = True,
    reroute: bool = False,
) -> Routed:
    """Route one lead given as field -> value (the in-process API); the decision is stored unless
    `store` is False. A lead already routed gets its stored decision back, marked `already routed`,
    unless `reroute`."""
    may_route(ctx.principal)
    if not store:
        with workspace.unit_of_work() as uow:
            return decide_lead(uow, ctx, router, lead, reroute, remember=False)
    started = ctx.now()
    with workspace.unit_of_work(write=True, lock=ROUTE_LOCK) as uow:
        decision = decide_lead(uow, ctx, router, lead, reroute)
        if not decision.already_routed:
            store_routed(uow, ctx, router, "route_lead", [decision], started)
    return decision


def decide_lead(
    uow: UnitOfWork,
    ctx: Context,
    router: Router,
    lead: Mapping[str, Any],
    reroute: bool = False,
    remember: bool = True,
) -> Routed:
    """route_lead's decision, reading what was routed before in `uow`: with `remember`, the leads
    from the same e-mail within the duplicate window, to be stored with it in the same unit of work
    (under ROUTE_LOCK, so that no other process moves the pools in between)."""
    if not any(value is not None and str(value).strip() for key, value in lead.items() if key != LEAD_ID):
        raise BadInput.at("a lead needs at least one field besides lead_id", "lead")
    if lead.get(LEAD_ID) in (None, ""):
        raise BadInput.at("a lead needs a lead_id", "lead", subject=LEAD_ID)
    record = typed_lead(lead, router.plan.fields)  # the id as kept: a 15-character Salesforce Id is 18
    before = uow.routing.latest_decisions_for([record[LEAD_ID]])
    reassigned = _reassigned_in_crm(router, [(record[LEAD_ID], record.get("owner_id"))], before)
    if before and not reroute and not reassigned:
        return already_routed(before[record[LEAD_ID]])
    # The fit model reads leads as a file gives them: text.
    raw = (
        pl.DataFrame({key: [None if value is None else str(value)] for key, value in lead.items()})
        if router.fit_model is not None
        else pl.DataFrame()
    )
    facts = lead_facts(router, raw, [record], ctx.now().date())[0]
    if remember:
        _remember_earlier(uow, router, [facts], skip=set(before))
    why = "its owner changed in the CRM" if reassigned and not reroute else "rerouted on purpose"
    return _rerouted(router.lead_router.route(facts), before, why)


def store_routed(
    uow: UnitOfWork, ctx: Context, router: Router, source: str, decisions: Sequence[Routed], started: datetime
) -> int:
    """Store decide_lead's decisions, and the pools they moved, in its unit of work: the run's id."""
    return record_decisions(
        uow, ctx, router.plan_id, router.plan.name, source, decisions, _touched_pools(router), started
    )


def _touched_pools(router: Router) -> dict[str, RoundRobin]:
    """The pools that moved since the last store, to store now (and only those)."""
    pools = router.lead_router.pools
    touched = {territory_id: pools[territory_id] for territory_id in sorted(router.lead_router.touched)}
    router.lead_router.touched.clear()
    return touched


def _remember_earlier(
    uow: UnitOfWork, router: Router, leads: Sequence[Lead], skip: set[str] | frozenset[str] = frozenset()
) -> None:
    """Load the stored leads that reached a rep within the duplicate window of this batch, but for
    the leads in `skip` (routed again: not duplicates of themselves)."""
    days = [lead.day for lead in leads if lead.email]
    if not days:
        return
    since = min(days) - timedelta(days=router.plan.routing.duplicate_window_days)
    found = uow.routing.earlier_leads((lead.email for lead in leads if lead.email), since)
    for email, stored in found.items():
        if stored.lead_id in skip:
            continue
        known = router.lead_router.earlier.get(email)
        if known is None or known.day <= stored.day:
            router.lead_router.earlier[email] = Earlier(
                stored.lead_id, stored.day, stored.rep_id, stored.territory_id
            )
