"""Lead routing use cases: route a batch of leads or one lead, explain a decision, report fairness."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl
from sqlalchemy import ColumnElement, Connection, delete, insert, select, update

from territorial.domain.entities import LEADS, REPS
from territorial.domain.fields import FieldType, canonical
from territorial.domain.plan import Plan
from territorial.engine.checks import check_plan
from territorial.engine.compiled import CompiledPlan
from territorial.engine.single import TerritoryFinder
from territorial.errors import BadInput, Location, Problem
from territorial.io.accounts import type_accounts
from territorial.io.availability import Ranges, read_availability
from territorial.io.plan_file import load_plan
from territorial.io.reps import Rep, read_reps, reps_from_frame
from territorial.io.tables import RawTable, read_table
from territorial.routing.match import AccountMatcher
from territorial.routing.round_robin import PoolRep, PoolState, RoundRobin
from territorial.routing.route import (
    AccountMatch,
    AccountOwner,
    Earlier,
    FitVerdict,
    Lead,
    LeadRouter,
    RelevanceVerdict,
    Routed,
)
from territorial.rules.to_polars import POLARS_TYPES
from territorial.services.assign import Stage, _quiet, apply_reps
from territorial.services.workspace import load_accounts, stored_plan
from territorial.store import tables
from territorial.store.bulk import insert_frame, now, read_frame
from territorial.store.workspace import Workspace

if TYPE_CHECKING:  # scikit-learn loads only when the plan scores leads
    from territorial.scoring.fit import FitModel

LEAD_ID = "lead_id"
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
_MATCH_COLUMNS = ("lead_id", "company", "email", "website", "country", "state", "postal_code")


@dataclass
class Router:
    """Everything routing needs, loaded once: the plan, reps, the account index and the models."""

    plan: Plan
    plan_id: int | None
    router: LeadRouter
    matcher: AccountMatcher | None
    fit_model: FitModel | None
    relevance: Any | None  # scoring.relevance.RelevanceModel, imported only when the plan uses it
    warnings: list[Problem] = field(default_factory=list)
    accounts: int = 0


@dataclass
class RoutedBatch:
    route_run_id: int
    decisions: list[Routed]
    rows: pl.DataFrame  # the output file's rows, in input order
    warnings: list[Problem]


# ---- loading ------------------------------------------------------------------------------------


def open_router(
    workspace: Workspace,
    plan: str | Path | int,
    reps_path: str | Path | None = None,
    availability_path: str | Path | None = None,
    stage: Stage = _quiet,
) -> Router:
    """Load a plan (a file, or a stored plan's id), the workspace's accounts and reps, and the models."""
    with workspace.reading() as connection:
        if isinstance(plan, int):
            stage(f"Reading plan {plan}")
            loaded, plan_id, base = stored_plan(connection, plan), plan, Path.cwd()
        else:
            stage(f"Reading the plan {plan}")
            loaded, plan_id, base = load_plan(plan), None, Path(plan).resolve().parent
        stage("Reading the workspace's accounts")
        book = load_accounts(connection, loaded.fields)
        stored_reps = None if reps_path is not None else _stored_reps(connection)
        states = _pool_states(connection)
    warnings = check_plan(loaded, book.schema, book.field_names)
    reps = read_reps(reps_path) if reps_path is not None else stored_reps
    if reps:
        loaded, rep_warnings = apply_reps(
            loaded, {r: rep.active for r, rep in reps.items()}, _source(reps_path)
        )
        warnings += rep_warnings
    else:
        reps = {r: Rep(r, None, None, True) for t in loaded.territories for r in t.reps}
        reps.update(
            {t.manager: Rep(t.manager, None, None, True) for t in loaded.territories if t.manager is not None}
        )
    away = read_availability(availability_path, set(reps)) if availability_path is not None else {}
    pool_reps = _pool_reps(reps, away)

    matcher = None
    owners: dict[str, int] = {}
    frame = book.frame.rename({name: key for key, name in book.columns.items()})
    if len(book):
        stage(f"Indexing {len(book):,} accounts for lead matching")
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
        territory_id: RoundRobin.from_state(pool, state)
        for territory_id, state in states.items()
        if territory_id in loaded.by_id
        and (pool := [pool_reps[r] for r in loaded.by_id[territory_id].reps if r in pool_reps])
    }
    settings = loaded.routing
    fit_model = None
    if settings.fit_model is not None:
        stage("Loading the fit model")
        from territorial.scoring.fit import FitModel

        fit_model = FitModel.load(_resolve(settings.fit_model, base, loaded, "fit_model"))
    relevance = None
    if settings.catalogue is not None:
        stage("Loading the inquiry relevance model")
        from territorial.scoring.relevance import RelevanceModel

        relevance = RelevanceModel.load(
            _resolve(settings.catalogue, base, loaded, "catalogue"), settings.relevance_threshold
        )
    router = LeadRouter(TerritoryFinder(compiled), settings, pool_reps, account, pools)
    return Router(loaded, plan_id, router, matcher, fit_model, relevance, warnings, len(book))


def _source(reps_path: str | Path | None) -> str:
    return str(reps_path) if reps_path is not None else "the workspace's reps"


def _resolve(path: str, base: Path, plan: Plan, key: str) -> Path:
    """A file the plan names, relative to the plan file (or the working directory for a stored plan)."""
    resolved = Path(path) if Path(path).is_absolute() else base / path
    if not resolved.exists():
        line = plan.routing.line_of(key)
        raise BadInput(
            [Problem(Location(plan.file, line, None, f"routing.{key}"), f"file not found: {resolved}")]
        )
    return resolved


def _stored_reps(connection: Connection) -> dict[str, Rep] | None:
    schema = {name: POLARS_TYPES[ftype] for name, ftype in REPS.fields.items()}
    frame = read_frame(connection, tables.ENTITY_TABLES[REPS.entity], schema)
    return reps_from_frame(frame) if frame.height else None


def _pool_reps(reps: Mapping[str, Rep], away: Ranges) -> dict[str, PoolRep]:
    return {
        rep.rep_id: PoolRep(
            rep.rep_id,
            weight=rep.lead_weight,
            daily_cap=rep.daily_lead_cap,
            monthly_cap=rep.monthly_lead_cap,
            skills=rep.skills,
            away=away.get(rep.rep_id, ()),
        )
        for rep in reps.values()
        if rep.active
    }


def _pool_states(connection: Connection) -> dict[str, PoolState]:
    rows = connection.execute(select(tables.routing_pools.c.territory_id, tables.routing_pools.c.state)).all()
    return {row.territory_id: json.loads(row.state) for row in rows}


# ---- facts about leads --------------------------------------------------------------------------


def read_leads(path: str | Path, plan: Plan) -> tuple[RawTable, pl.DataFrame]:
    """The leads file as read (for the models) and typed under canonical names (for the plan's rules)."""
    raw = read_table(path)
    declared = {**{k: v for k, v in LEADS.fields.items()}, **plan.fields}
    book = type_accounts(raw, declared, id_column=LEAD_ID)
    if len(book) == 0:
        raise BadInput.at("the leads file has no rows", raw.file, 1 if raw.is_csv else None)
    typed = book.frame.rename({name: key for key, name in book.columns.items()})
    lead_fields = [key for key in book.columns if key != LEAD_ID]
    if not lead_fields:
        raise BadInput.at("a lead has no fields besides lead_id: nothing to route it by", raw.file, 1)
    return raw, typed


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
                verdict.score, verdict.product_id, verdict.relevant, router.relevance.threshold
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
        )
        for row, (record, match) in enumerate(zip(records, _matches(router, records), strict=True))
    ]


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


def route_file(
    workspace: Workspace,
    router: Router,
    leads_path: str | Path,
    today: date | None = None,
    stage: Stage = _quiet,
    progress: Callable[[int, int], None] | None = None,
) -> RoutedBatch:
    """Route every lead of a file, oldest first, store the decisions and return them in file order."""
    today = today or date.today()
    raw, typed = read_leads(leads_path, router.plan)
    stage(f"Scoring and matching {typed.height:,} leads")
    leads = lead_facts(router, raw.frame, typed.to_dicts(), today, raw.file)
    warnings = list(router.warnings)
    order = sorted(range(len(leads)), key=lambda i: (leads[i].day, leads[i].lead_id.encode()))
    with workspace.reading() as connection:
        _remember_earlier(connection, router, leads)
    stage(f"Routing {len(leads):,} leads")
    decided: dict[int, Routed] = {}
    for done, index in enumerate(order, start=1):
        decided[index] = router.router.route(leads[index])
        if progress is not None and (done % 500 == 0 or done == len(order)):
            progress(done, len(order))
    decisions = [decided[i] for i in range(len(leads))]
    stage(f"Storing {len(decisions):,} decisions")
    run_id = _store(workspace, router, str(leads_path), decisions)
    return RoutedBatch(run_id, decisions, decisions_frame(decisions), warnings)


def route_lead(workspace: Workspace, router: Router, lead: Mapping[str, Any], store: bool = True) -> Routed:
    """Route one lead given as field -> value (the in-process API); the decision is stored unless
    `store` is False."""
    if not any(value is not None and str(value).strip() for key, value in lead.items() if key != LEAD_ID):
        raise BadInput.at("a lead needs at least one field besides lead_id", "lead")
    if lead.get(LEAD_ID) in (None, ""):
        raise BadInput.at("a lead needs a lead_id", "lead", subject=LEAD_ID)
    record = typed_lead(lead, {**LEADS.fields, **router.plan.fields})
    # The fit model reads leads as a file gives them: text.
    raw = (
        pl.DataFrame({key: [None if value is None else str(value)] for key, value in lead.items()})
        if router.fit_model is not None
        else pl.DataFrame()
    )
    facts = lead_facts(router, raw, [record], date.today())[0]
    if store:
        with workspace.reading() as connection:
            _remember_earlier(connection, router, [facts])
    decision = router.router.route(facts)
    if store:
        _store(workspace, router, "route_lead", [decision])
    return decision


def typed_lead(lead: Mapping[str, Any], declared: Mapping[str, FieldType]) -> dict[str, Any]:
    """One lead's values under canonical names, typed as the plan and the lead schema declare.

    The in-process API takes values as an API client sends them: numbers as numbers (or plain number
    text), dates as dates or ISO text, booleans as booleans; blanks are NULL."""
    typed: dict[str, Any] = {}
    problems: list[Problem] = []
    for key, value in lead.items():
        name = canonical(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            typed[name] = None
            continue
        kind = FieldType.STRING if name == LEAD_ID else declared.get(name, FieldType.STRING)
        try:
            typed[name] = _as_type(value, kind)
        except (TypeError, ValueError):
            problems.append(
                Problem(Location("lead", None, None, name), f"expected {_EXPECTED[kind]}, got {value!r}")
            )
    if problems:
        raise BadInput(problems)
    return typed


_EXPECTED = {
    FieldType.STRING: "text",
    FieldType.NUMBER: "a number",
    FieldType.DATE: "a date (YYYY-MM-DD)",
    FieldType.BOOLEAN: "true or false",
}


def _as_type(value: object, kind: FieldType) -> object:
    if kind is FieldType.NUMBER:
        if isinstance(value, bool):
            raise TypeError(value)
        number = float(value) if isinstance(value, int | float | str) else float("nan")
        if not math.isfinite(number):
            raise ValueError(value)
        return number
    if kind is FieldType.DATE:
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        return date.fromisoformat(str(value).strip())
    if kind is FieldType.BOOLEAN:
        if isinstance(value, bool):
            return value
        lowered = str(value).strip().lower()
        if lowered not in ("true", "false"):
            raise ValueError(value)
        return lowered == "true"
    return str(value)


def _remember_earlier(connection: Connection, router: Router, leads: Sequence[Lead]) -> None:
    """Load the stored leads that reached a rep within the duplicate window of this batch."""
    days = [lead.day for lead in leads if lead.email]
    if not days:
        return
    cutoff = min(days) - timedelta(days=router.plan.routing.duplicate_window_days)
    decisions = tables.routing_decisions
    rows = connection.execute(
        select(
            decisions.c.email,
            decisions.c.lead_id,
            decisions.c.lead_day,
            decisions.c.rep_id,
            decisions.c.territory_id,
        )
        .where(
            decisions.c.rep_id.is_not(None), decisions.c.email.is_not(None), decisions.c.lead_day >= cutoff
        )
        .order_by(decisions.c.lead_day, decisions.c.decision_id)
    ).all()
    wanted = {lead.email for lead in leads if lead.email}
    for row in rows:
        if row.email in wanted:
            known = router.router.earlier.get(row.email)
            if known is None or known.day <= row.lead_day:
                router.router.earlier[row.email] = Earlier(
                    row.lead_id, row.lead_day, row.rep_id, row.territory_id
                )


def decisions_frame(decisions: Sequence[Routed]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "lead_id": [d.lead_id for d in decisions],
            "decision": [d.outcome.value for d in decisions],
            "rep_id": [d.rep_id for d in decisions],
            "territory_id": [d.territory_id for d in decisions],
            "matched_account_id": [d.matched_account_id for d in decisions],
            "score": [d.score for d in decisions],
            "reason": [d.reason for d in decisions],
            "relevance": [None if d.relevance is None else round(d.relevance, 4) for d in decisions],
            "product": [d.product for d in decisions],
            "queue": [d.queue for d in decisions],
        },
        schema={
            "lead_id": pl.String,
            "decision": pl.String,
            "rep_id": pl.String,
            "territory_id": pl.String,
            "matched_account_id": pl.String,
            "score": pl.Int64,
            "reason": pl.String,
            "relevance": pl.Float64,
            "product": pl.String,
            "queue": pl.String,
        },
    )


def _store(workspace: Workspace, router: Router, source: str, decisions: Sequence[Routed]) -> int:
    started = now()
    with workspace.writing("route") as connection:
        run_id = int(
            connection.execute(
                insert(tables.routing_runs)
                .values(
                    plan_id=router.plan_id,
                    plan_name=router.plan.name,
                    source=source,
                    started_at=started,
                    leads=len(decisions),
                )
                .returning(tables.routing_runs.c.route_run_id)
            ).scalar_one()
        )
        frame = decisions_frame(decisions).select(
            pl.lit(run_id).alias("route_run_id"),
            "lead_id",
            pl.Series("email", [d.email for d in decisions], dtype=pl.String),
            pl.Series("lead_day", [d.day for d in decisions], dtype=pl.Date),
            "decision",
            "rep_id",
            "territory_id",
            "matched_account_id",
            "score",
            "relevance",
            "product",
            "queue",
            pl.Series("in_pool", [d.in_pool for d in decisions], dtype=pl.Boolean),
            "reason",
            pl.Series(
                "path", [json.dumps([s.as_dict() for s in d.path]) for d in decisions], dtype=pl.String
            ),
        )
        insert_frame(connection, tables.routing_decisions, frame)
        pools = router.router.pools
        if pools:
            connection.execute(
                delete(tables.routing_pools).where(tables.routing_pools.c.territory_id.in_(pools))
            )
            stamp = now()
            connection.execute(
                insert(tables.routing_pools),
                [
                    {
                        "territory_id": t,
                        "state": json.dumps(robin.state(), sort_keys=True),
                        "updated_at": stamp,
                    }
                    for t, robin in sorted(pools.items())
                ],
            )
        connection.execute(
            update(tables.routing_runs)
            .where(tables.routing_runs.c.route_run_id == run_id)
            .values(finished_at=now())
        )
    return run_id


# ---- reading the audit --------------------------------------------------------------------------


@dataclass(frozen=True)
class StoredDecision:
    route_run_id: int
    lead_id: str
    lead_day: date
    decision: str
    rep_id: str | None
    territory_id: str | None
    matched_account_id: str | None
    score: int | None
    relevance: float | None
    product: str | None
    queue: str | None
    reason: str
    path: list[dict[str, str]]
    source: str
    plan_name: str


def explain_lead(workspace: Workspace, lead_id: str) -> list[StoredDecision]:
    """Every stored decision for a lead, oldest first, each with its full path."""
    decisions, runs = tables.routing_decisions, tables.routing_runs
    with workspace.reading() as connection:
        rows = connection.execute(
            select(decisions, runs.c.source, runs.c.plan_name)
            .join(runs, runs.c.route_run_id == decisions.c.route_run_id)
            .where(decisions.c.lead_id == lead_id)
            .order_by(decisions.c.decision_id)
        ).all()
    if not rows:
        raise BadInput.at(f"no routing decision is stored for lead {lead_id!r}", "LEAD_ID")
    return [
        StoredDecision(
            route_run_id=row.route_run_id,
            lead_id=row.lead_id,
            lead_day=row.lead_day,
            decision=row.decision,
            rep_id=row.rep_id,
            territory_id=row.territory_id,
            matched_account_id=row.matched_account_id,
            score=row.score,
            relevance=row.relevance,
            product=row.product,
            queue=row.queue,
            reason=row.reason,
            path=json.loads(row.path),
            source=row.source,
            plan_name=row.plan_name,
        )
        for row in rows
    ]


def fairness_report(
    workspace: Workspace,
    start: date | None = None,
    end: date | None = None,
    reps: Mapping[str, Rep] | None = None,
    route_run_id: int | None = None,
) -> pl.DataFrame:
    """Per territory pool and rep, for leads dated from `start` to `end` (inclusive) or of one routing
    run: leads and expected value (the sum of fit chances; the lead count when leads were not scored)
    against the rep's weight share of the pool. Only leads shared by round robin count: matched and
    duplicate leads follow account ownership, not the rotation."""
    decisions = tables.routing_decisions
    conditions: list[ColumnElement[bool]] = [decisions.c.in_pool.is_(True)]
    if start is not None:
        conditions.append(decisions.c.lead_day >= start)
    if end is not None:
        conditions.append(decisions.c.lead_day <= end)
    if route_run_id is not None:
        conditions.append(decisions.c.route_run_id == route_run_id)
    with workspace.reading() as connection:
        rows = connection.execute(
            select(decisions.c.territory_id, decisions.c.rep_id, decisions.c.score).where(*conditions)
        ).all()
        known = reps if reps is not None else (_stored_reps(connection) or {})
        pools = _pool_states(connection)
    frame = pl.DataFrame(
        rows, schema={"territory_id": pl.String, "rep_id": pl.String, "score": pl.Int64}, orient="row"
    )
    # Pool members who won no lead in the period still hold a weight share: add them with zero leads.
    members = pl.DataFrame(
        [(t, rep) for t, state in pools.items() for rep in state["pointers"]],
        schema={"territory_id": pl.String, "rep_id": pl.String},
        orient="row",
    ).join(frame.select("territory_id").unique(), on="territory_id", how="semi")
    weights = pl.DataFrame(
        {"rep_id": list(known), "weight": [rep.lead_weight for rep in known.values()]},
        schema={"rep_id": pl.String, "weight": pl.Float64},
    )
    per_rep = (
        frame.group_by("territory_id", "rep_id")
        .agg(
            pl.len().alias("leads"),
            pl.when(pl.col("score").is_null())
            .then(1.0)
            .otherwise(pl.col("score") / 100)
            .sum()
            .alias("expected"),
        )
        .join(members, on=["territory_id", "rep_id"], how="full", coalesce=True)
        .with_columns(pl.col("leads").fill_null(0), pl.col("expected").fill_null(0.0))
        .join(weights, on="rep_id", how="left")
        .with_columns(pl.col("weight").fill_null(1.0))
    )
    by_pool = pl.col("territory_id")
    return (
        per_rep.with_columns(
            (pl.col("weight") / pl.col("weight").sum().over(by_pool)).alias("weight_share"),
            (pl.col("leads") / pl.col("leads").sum().over(by_pool)).alias("lead_share"),
            (pl.col("expected") / pl.col("expected").sum().over(by_pool)).alias("expected_share"),
        )
        .with_columns(
            (pl.col("leads") - pl.col("weight_share") * pl.col("leads").sum().over(by_pool)).alias(
                "leads_vs_share"
            )
        )
        .select(
            "territory_id",
            "rep_id",
            "weight",
            pl.col("weight_share").round(4),
            "leads",
            pl.col("lead_share").round(4),
            pl.col("leads_vs_share").round(2),
            pl.col("expected").round(2).alias("expected_value"),
            pl.col("expected_share").round(4),
        )
        .sort("territory_id", "rep_id")
    )
