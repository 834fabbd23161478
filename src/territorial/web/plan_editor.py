"""The plan editor: GET /planning (the plans, a new draft), GET /planning/{plan_id} (the territory
tree, a territory's form with its rule checked while it is typed), and the forms that add, change,
move and delete a draft's territories, each at the version of the plan the page showed."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from territorial.domain.plan import PRIMARY
from territorial.errors import BadInput, NotFound, StaleVersion
from territorial.services.plan_checks import check_stored_plan
from territorial.services.plan_states import clone_plan, new_draft
from territorial.services.plan_versions import plan_version
from territorial.services.plan_views import get_plan_for, list_plans_for, plan_territories_for
from territorial.services.rep_home import as_csv
from territorial.services.sign_in import WebSession
from territorial.services.territory_edits import (
    add_territory,
    change_territory,
    delete_territory,
    rule_matches,
)
from territorial.web.home import csv_response, shell
from territorial.web.planner import GENERAL, every_row, field_errors, planner_session
from territorial.web.render import page
from territorial.web.session import form_of, workspace

router = APIRouter(include_in_schema=False)
TITLE = "Plans"
PLAN_COLUMNS = ["plan_id", "name", "state", "effective", "created_at", "actor"]
TERRITORY_COLUMNS = ["territory_id", "name", "parent_id", "layer", "priority", "reps", "rule"]
TERRITORY_FIELDS = ("territory_id", "name", "parent_id", "layer", "rule", "reps", "priority")
# Where the plan file reader puts a problem, as the form calls the field.
ALIASES = {"id": "territory_id", "parent": "parent_id", "PLAN_ID": GENERAL, "If-Match": GENERAL}


def _plans(
    request: Request,
    session: WebSession,
    status: int = 200,
    errors: dict[str, str] | None = None,
    **typed: str,
) -> Response:
    rows = every_row(lambda c: list_plans_for(workspace(request), session.context, c, 1000))
    return page(
        request,
        "plans.html.j2",
        status,
        title=TITLE,
        plans=rows,
        columns=PLAN_COLUMNS,
        errors=errors or {},
        typed=typed,
        **shell(session),
    )


@router.get("/planning")
def plans(request: Request) -> Response:
    session, refused = planner_session(request, TITLE)
    return refused or _plans(request, session)


@router.get("/planning/plans.csv")
def plans_csv(request: Request) -> Response:
    session, refused = planner_session(request, TITLE)
    if refused:
        return refused
    rows = every_row(lambda c: list_plans_for(workspace(request), session.context, c, 1000))
    return csv_response(as_csv(rows, PLAN_COLUMNS), "plans.csv")


@router.get("/planning/{plan_id}/territories.csv")
def territories_csv(request: Request, plan_id: int) -> Response:
    """The plan's territories as the tree shows them, one a row (reps separated by spaces)."""
    session, refused = planner_session(request, TITLE)
    if refused:
        return refused
    store, ctx = workspace(request), session.context
    rows = every_row(lambda c: plan_territories_for(store, ctx, plan_id, c, 1000))
    shown = [{**row, "reps": " ".join(row["reps"]) or None} for row in rows]
    return csv_response(as_csv(shown, TERRITORY_COLUMNS), f"plan-{plan_id}-territories.csv")


@router.post("/planning/new")
async def new_plan(request: Request) -> Response:
    session, refused = planner_session(request, TITLE)
    if refused:
        return refused
    fields = await form_of(request, session.csrf_token)
    typed = {"name": fields.get("name", ""), "territory_id": fields.get("territory_id", "")}
    try:
        plan_id = new_draft(workspace(request), session.context, typed["name"], typed["territory_id"])
    except BadInput as problem:
        return _plans(request, session, 422, field_errors(problem, ["name", "territory_id"]), **typed)
    return RedirectResponse(f"/planning/{plan_id}", status_code=303)


@router.post("/planning/{plan_id}/copy")
async def copy_plan(request: Request, plan_id: int) -> Response:
    session, refused = planner_session(request, TITLE)
    if refused:
        return refused
    await form_of(request, session.csrf_token)
    try:
        copied = clone_plan(workspace(request), session.context, plan_id)
    except BadInput as problem:
        return _plans(request, session, 404, field_errors(problem, []))
    return RedirectResponse(f"/planning/{copied}", status_code=303)


def _tree(rows: list[dict[str, Any]]) -> dict[str | None, list[dict[str, Any]]]:
    """Each territory's children in plan order, under None for the top level."""
    children: dict[str | None, list[dict[str, Any]]] = {}
    for row in rows:
        children.setdefault(row["parent_id"], []).append(row)
    return children


def _below(rows: list[dict[str, Any]], territory_id: str) -> set[str]:
    """The territory and every territory under it: none of them can be its new parent."""
    found, changed = {territory_id}, True
    while changed:
        more = {r["territory_id"] for r in rows if r["parent_id"] in found} - found
        changed, found = bool(more), found | more
    return found


def editor(
    request: Request,
    session: WebSession,
    plan_id: int,
    selected: str | None = None,
    status: int = 200,
    errors: dict[str, str] | None = None,
    typed: dict[str, str] | None = None,
    said: str | None = None,
) -> Response:
    store, ctx = workspace(request), session.context
    try:
        plan = get_plan_for(store, ctx, plan_id)
    except NotFound:
        return page(request, "plan_missing.html.j2", 404, title=TITLE, plan_id=plan_id, **shell(session))
    rows = every_row(lambda c: plan_territories_for(store, ctx, plan_id, c, 1000))
    chosen = next((r for r in rows if r["territory_id"] == selected), None)
    layers = sorted({PRIMARY, *(r["layer"] for r in rows)}, key=lambda layer: (layer != PRIMARY, layer))
    return page(
        request,
        "plan_editor.html.j2",
        status,
        title=f"Plan {plan_id}",
        plan=plan,
        version=plan_version(plan["source"] or ""),
        draft=plan["state"] == "draft",
        rows=rows,
        children=_tree(rows),
        chosen=chosen,
        parents=[
            r for r in rows if chosen is None or r["territory_id"] not in _below(rows, chosen["territory_id"])
        ],
        layers=layers,
        errors=errors or {},
        typed=typed or {},
        said=said,
        **shell(session),
    )


@router.get("/planning/{plan_id}")
def plan_page(
    request: Request, plan_id: int, territory: str | None = None, said: str | None = None
) -> Response:
    session, refused = planner_session(request, TITLE)
    return refused or editor(request, session, plan_id, territory, said=_said(said))


SAID = {
    "added": "Territory added.",
    "saved": "Territory saved.",
    "unchanged": "Nothing to save: the territory is as it was.",
    "deleted": "Territory deleted.",
}


def _said(key: str | None) -> str | None:
    return SAID.get(key or "")


def _reps(text: str) -> list[str]:
    return [rep.strip() for rep in text.replace(";", ",").split(",") if rep.strip()]


def _priority(text: str) -> int | None:
    if not text.strip():
        return None
    try:
        return int(text.strip())
    except ValueError:
        raise BadInput.at(
            f"expected a whole number such as 100 (higher wins a tie), got {text!r}", "priority"
        ) from None


@router.post("/planning/{plan_id}/territories")
async def add(request: Request, plan_id: int) -> Response:
    session, refused = planner_session(request, TITLE)
    if refused:
        return refused
    fields = await form_of(request, session.csrf_token)
    typed = {name: fields.get(name, "") for name in TERRITORY_FIELDS}
    territory_id = typed["territory_id"].strip()
    try:
        if not territory_id:
            raise BadInput.at("expected an id for the new territory, such as T-EAST", "territory_id")
        given: dict[str, Any] = {"id": territory_id}
        for key in ("name", "rule", "layer"):
            if typed[key].strip():
                given[key] = typed[key].strip()
        if _reps(typed["reps"]):
            given["reps"] = _reps(typed["reps"])
        priority = _priority(typed["priority"])
        if priority is not None:
            given["priority"] = priority
        parent = typed["parent_id"].strip() or None
        add_territory(workspace(request), session.context, plan_id, given, parent, fields.get("version"))
    except BadInput as problem:
        errors = field_errors(problem, TERRITORY_FIELDS, ALIASES)
        return editor(request, session, plan_id, None, _status(problem), errors, typed)
    return RedirectResponse(f"/planning/{plan_id}?territory={territory_id}&said=added", status_code=303)


def _status(problem: BadInput) -> int:
    return 412 if isinstance(problem, StaleVersion) else 422


@router.post("/planning/{plan_id}/territories/{territory_id}")
async def change(request: Request, plan_id: int, territory_id: str) -> Response:
    session, refused = planner_session(request, TITLE)
    if refused:
        return refused
    fields = await form_of(request, session.csrf_token)
    typed = {name: fields.get(name, "") for name in TERRITORY_FIELDS}
    store, ctx = workspace(request), session.context
    try:
        rows = every_row(lambda c: plan_territories_for(store, ctx, plan_id, c, 1000))
        current = next((r for r in rows if r["territory_id"] == territory_id), None)
        if current is None:
            raise BadInput.at(f"plan {plan_id} has no territory {territory_id}", GENERAL)
        given: dict[str, Any] = {
            "name": typed["name"].strip() or None,
            "rule": typed["rule"].strip() or None,
            "reps": _reps(typed["reps"]) or None,
            "priority": _priority(typed["priority"]),
        }
        # Only what the form changed, so the plan's history says what was edited.
        changed = {key: value for key, value in given.items() if value != _shown(current, key)}
        parent = typed["parent_id"].strip() or None
        moving = parent != current["parent_id"]
        if not changed and not moving:  # nothing to save: no new version, nothing in the plan's history
            return RedirectResponse(
                f"/planning/{plan_id}?territory={territory_id}&said=unchanged", status_code=303
            )
        change_territory(store, ctx, plan_id, territory_id, changed, fields.get("version"), moving, parent)
    except BadInput as problem:
        errors = field_errors(problem, TERRITORY_FIELDS, ALIASES)
        return editor(request, session, plan_id, territory_id, _status(problem), errors, typed)
    return RedirectResponse(f"/planning/{plan_id}?territory={territory_id}&said=saved", status_code=303)


def _shown(territory: dict[str, Any], key: str) -> Any:
    """A territory's key as its form shows it: no name when it is the id, no priority when 0."""
    value = territory[key]
    if key == "name" and value == territory["territory_id"]:
        return None
    return value or None


@router.post("/planning/{plan_id}/territories/{territory_id}/delete")
async def delete(request: Request, plan_id: int, territory_id: str) -> Response:
    session, refused = planner_session(request, TITLE)
    if refused:
        return refused
    fields = await form_of(request, session.csrf_token)
    try:
        delete_territory(workspace(request), session.context, plan_id, territory_id, fields.get("version"))
    except BadInput as problem:
        errors = {GENERAL: "; ".join(p.message for p in problem.problems)}
        return editor(request, session, plan_id, territory_id, _status(problem), errors)
    return RedirectResponse(f"/planning/{plan_id}?said=deleted", status_code=303)


@router.get("/planning/{plan_id}/territories/{territory_id}/matches")
def matches(request: Request, plan_id: int, territory_id: str, rule: str = "") -> Response:
    """The rule as typed, checked: its problem under the field, else how many accounts it matches.
    htmx swaps only a 2xx answer, so a problem is a 200 fragment here; saving it answers 422."""
    session, refused = planner_session(request, TITLE)
    if refused:
        return refused
    problem, count = None, None
    try:
        if len(rule) > 1_000:
            raise BadInput.at(
                "the rule is checked when it is saved: it is longer than 1,000 characters", "rule"
            )
        count = rule_matches(
            workspace(request), session.context, plan_id, territory_id, rule.strip() or None
        ).within_parent
    except BadInput as error:
        problem = error.problems[0].message
    return page(request, "rule_check.html.j2", problem=problem, count=count)


@router.get("/planning/{plan_id}/checks")
def checks(request: Request, plan_id: int) -> Response:
    session, refused = planner_session(request, TITLE)
    if refused:
        return refused
    try:
        checked = check_stored_plan(workspace(request), session.context, plan_id)
        outcomes = [
            {"name": o.check.name, "passed": o.passed, "rows": o.rows, "failed": o.failed.height}
            for o in checked.outcomes
        ]
        problem = None
    except BadInput as error:
        outcomes, problem = [], error.problems[0].message
    return page(request, "plan_checks.html.j2", outcomes=outcomes, problem=problem)
