"""A draft against the active plan: GET /planning/{plan_id}/impact (the accounts that would move),
/compare (KPIs, movers and each rep's gains and losses), and /activate (a confirmation, then the
activation today or on a later day, which /unschedule cancels); each table as CSV."""

from __future__ import annotations

from datetime import date, timedelta

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from territorial.errors import BadInput, NotFound, StaleVersion
from territorial.services.activation import ChecksFailed, activate_plan, unschedule_plan
from territorial.services.compare import MOVER_COLUMNS, Comparison, compare_plans
from territorial.services.plan_versions import plan_version
from territorial.services.plan_views import get_plan_for, list_plans_for
from territorial.services.plans import active_plan_id
from territorial.services.rep_home import as_csv
from territorial.services.settings import load_settings, today
from territorial.services.sign_in import WebSession
from territorial.web.home import csv_response, shell
from territorial.web.planner import GENERAL, every_row, planner_session
from territorial.web.render import page
from territorial.web.session import form_of, workspace

router = APIRouter(include_in_schema=False)
ROWS_SHOWN = 500  # the CSV holds every row
REP_COLUMNS = ["layer", "rep_id", "accounts_a", "accounts_b", "gained", "lost"]


def _active(request: Request) -> int | None:
    try:
        return active_plan_id(workspace(request), "plan_id")
    except BadInput:
        return None


def _compared(request: Request, session: WebSession, plan_id: int, other: int | None) -> Comparison | None:
    """The plan against `other` (the active plan when None); None when no plan is active."""
    base = other if other is not None else _active(request)
    if base is None:
        return None
    return compare_plans(workspace(request), session.context, base, plan_id)


@router.get("/planning/{plan_id}/impact")
def impact(request: Request, plan_id: int) -> Response:
    session, refused = planner_session(request, "Impact")
    if refused:
        return refused
    try:
        found = _compared(request, session, plan_id, None)
    except BadInput as problem:
        return page(request, "plan_impact.html.j2", problem=problem.problems[0].message, plan_id=plan_id)
    return page(
        request,
        "plan_impact.html.j2",
        plan_id=plan_id,
        compared=found,
        movers=found.movers.head(ROWS_SHOWN).to_dicts() if found else [],
        columns=MOVER_COLUMNS,
        more=found is not None and found.movers.height > ROWS_SHOWN,
    )


@router.get("/planning/{plan_id}/compare")
def compare(request: Request, plan_id: int, other: int | None = None) -> Response:
    session, refused = planner_session(request, "Compare")
    if refused:
        return refused
    try:
        found = _compared(request, session, plan_id, other)
        plan = get_plan_for(workspace(request), session.context, plan_id)
    except BadInput as problem:
        status = 404 if isinstance(problem, NotFound) else 422
        return page(
            request,
            "compare.html.j2",
            status,
            title="Compare",
            plan_id=plan_id,
            problem=problem.problems[0].message,
            **shell(session),
        )
    plans = every_row(lambda c: list_plans_for(workspace(request), session.context, c, 1000))
    return page(
        request,
        "compare.html.j2",
        title="Compare",
        plan_id=plan_id,
        plan=plan,
        compared=found,
        plans=[p for p in plans if p["plan_id"] != plan_id],
        movers=found.movers.head(ROWS_SHOWN).to_dicts() if found else [],
        reps=found.reps.select(REP_COLUMNS).to_dicts() if found else [],
        mover_columns=MOVER_COLUMNS,
        rep_columns=REP_COLUMNS,
        more=found is not None and found.movers.height > ROWS_SHOWN,
        **shell(session),
    )


@router.get("/planning/{plan_id}/compare/{table}.csv")
def compare_csv(request: Request, plan_id: int, table: str, other: int | None = None) -> Response:
    session, refused = planner_session(request, "Compare")
    if refused:
        return refused
    if table not in ("movers", "reps"):
        return Response("no such table", status_code=404)
    found = _compared(request, session, plan_id, other)
    if found is None:
        rows: list[dict[str, object]] = []
    else:
        rows = found.movers.to_dicts() if table == "movers" else found.reps.select(REP_COLUMNS).to_dicts()
    columns = MOVER_COLUMNS if table == "movers" else REP_COLUMNS
    return csv_response(as_csv(rows, columns), f"plan-{plan_id}-{table}.csv")


def _first_free_day(request: Request, session: WebSession) -> tuple[date, str | None]:
    """Today, or tomorrow when today already has an activation (one a day), with why."""
    day = today(session.context, load_settings())
    plans = every_row(lambda c: list_plans_for(workspace(request), session.context, c, 1000))
    taken = [p for p in plans if p["state"] in ("active", "scheduled") and p["effective"] == day]
    if taken:
        return day + timedelta(days=1), (
            f"Plan {taken[0]['plan_id']} is {taken[0]['state']} from today, and a day has one activation: "
            "the earliest day is tomorrow."
        )
    return day, None


def _confirm(
    request: Request,
    session: WebSession,
    plan_id: int,
    status: int = 200,
    errors: dict[str, str] | None = None,
    effective: str | None = None,
    failed: list[str] | None = None,
) -> Response:
    store, ctx = workspace(request), session.context
    try:
        plan = get_plan_for(store, ctx, plan_id)
    except NotFound:
        return page(request, "plan_missing.html.j2", 404, title="Activate", plan_id=plan_id, **shell(session))
    day, why = _first_free_day(request, session)
    return page(
        request,
        "activate.html.j2",
        status,
        title=f"Activate plan {plan_id}",
        plan=plan,
        version=plan_version(plan["source"] or ""),
        effective=effective or day.isoformat(),
        day_note=why,
        errors=errors or {},
        failed=failed or [],
        **shell(session),
    )


@router.get("/planning/{plan_id}/activate/summary")
def activation_summary(request: Request, plan_id: int) -> Response:
    """What activating the plan would change, loaded after the confirmation page: working it out
    assigns every account, seconds on a large workspace, while the page already says so."""
    session, refused = planner_session(request, "Activate")
    if refused:
        return refused
    active = _active(request)
    found, problem = None, None
    if active is not None and active != plan_id:
        try:
            found = compare_plans(workspace(request), session.context, active, plan_id)
        except BadInput as error:
            problem = error.problems[0].message
    return page(
        request, "activation_summary.html.j2", plan_id=plan_id, active=active, compared=found, problem=problem
    )


@router.get("/planning/{plan_id}/activate")
def activate_form(request: Request, plan_id: int) -> Response:
    session, refused = planner_session(request, "Activate")
    return refused or _confirm(request, session, plan_id)


@router.post("/planning/{plan_id}/activate")
async def activate(request: Request, plan_id: int) -> Response:
    session, refused = planner_session(request, "Activate")
    if refused:
        return refused
    fields = await form_of(request, session.csrf_token)
    typed = fields.get("effective", "").strip()
    try:
        day = date.fromisoformat(typed)
    except ValueError:
        return _confirm(
            request,
            session,
            plan_id,
            422,
            {"effective": f"expected a day as YYYY-MM-DD, got {typed!r}"},
            typed,
        )
    if fields.get("confirm") != "yes":
        return _confirm(
            request, session, plan_id, 422, {"confirm": "tick the box to confirm the activation"}, typed
        )
    try:
        done = activate_plan(workspace(request), session.context, plan_id, day, version=fields.get("version"))
    except ChecksFailed as failed:
        names = [f"{o.check.name}: {o.failed.height} of {o.rows} rows fail" for o in failed.failures]
        return _confirm(request, session, plan_id, 409, {GENERAL: str(failed)}, typed, names)
    except BadInput as problem:
        where = problem.problems[0].location
        field = "effective" if where.file == "--effective" else GENERAL
        status = 412 if isinstance(problem, StaleVersion) else 422
        return _confirm(request, session, plan_id, status, {field: problem.problems[0].message}, typed)
    said = "scheduled" if done.scheduled else "activated"
    return RedirectResponse(f"/planning/{plan_id}/activated?said={said}", status_code=303)


@router.get("/planning/{plan_id}/activated")
def activated(request: Request, plan_id: int, said: str = "activated") -> Response:
    """What the activation did, and the way back: re-activating the plan that was active before."""
    session, refused = planner_session(request, "Activate")
    if refused:
        return refused
    store, ctx = workspace(request), session.context
    try:
        plan = get_plan_for(store, ctx, plan_id)
    except NotFound:
        return page(request, "plan_missing.html.j2", 404, title="Activate", plan_id=plan_id, **shell(session))
    plans = every_row(lambda c: list_plans_for(store, ctx, c, 1000))
    earlier = [p for p in plans if p["state"] == "archived" and p["effective"] is not None]
    previous = max(earlier, key=lambda p: (p["effective"], p["plan_id"])) if earlier else None
    return page(
        request,
        "activated.html.j2",
        title=f"Plan {plan_id} {plan['state']}",
        plan=plan,
        version=plan_version(plan["source"] or ""),
        previous=previous,
        **shell(session),
    )


@router.post("/planning/{plan_id}/unschedule")
async def unschedule(request: Request, plan_id: int) -> Response:
    session, refused = planner_session(request, "Activate")
    if refused:
        return refused
    fields = await form_of(request, session.csrf_token)
    try:
        unschedule_plan(workspace(request), session.context, plan_id, fields.get("version"))
    except BadInput as problem:
        return _confirm(request, session, plan_id, 422, {GENERAL: problem.problems[0].message})
    return RedirectResponse(f"/planning/{plan_id}/activate", status_code=303)
