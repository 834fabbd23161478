"""A draft plan's territories edited one at a time (add, change the rule or other keys, move, delete),
each an edit of the draft's YAML that keeps its comments and order, checked as `plan add` checks a
plan, at the version the editor read; and how many accounts a rule would match while it is typed."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from territorial.domain.plan import Plan
from territorial.domain.stored import StoredPlan
from territorial.engine.assign import assign
from territorial.engine.checks import check_plan
from territorial.engine.compiled import CompiledPlan
from territorial.engine.membership import evaluate_membership
from territorial.engine.records import evaluation_frame
from territorial.engine.workload import account_workload
from territorial.errors import BadInput
from territorial.io.plan_edits import (
    with_territory_added,
    with_territory_changed,
    with_territory_deleted,
    with_territory_moved,
)
from territorial.io.plan_file import parse_plan
from territorial.rules.parser import RuleError, parse_rule
from territorial.rules.types import check_rule
from territorial.services.assign import load_workspace_book
from territorial.services.audit import record_plan_edit
from territorial.services.context import Context
from territorial.services.permissions import may_write
from territorial.services.plan_states import draft_in
from territorial.services.plans import keep_parsed_plan, plan_in, stored_plan
from territorial.services.unit_of_work import UnitOfWork, WorkspaceStore
from territorial.services.workspace import account_fields

RULE = "rule"  # where a rule's problem sits: the API says in the query or the body


@dataclass(frozen=True)
class EditedPlan:
    stored: StoredPlan  # with its new YAML
    plan: Plan


def _checked_rule(uow: UnitOfWork, plan: Plan, rule: str) -> None:
    """A rule's own problems located in the rule (its character), before it goes into the YAML,
    where they would read as a line of the plan file the editor never saw."""
    try:
        expr = parse_rule(rule)
        count, schema = account_fields(uow, plan)
        if count:
            check_rule(expr, schema)
    except RuleError as error:
        raise BadInput.at(f"{error.message} (at character {error.pos + 1} of the rule)", RULE) from None


def _label(plan_id: int) -> str:
    return f"plan {plan_id}"


def _edit(
    workspace: WorkspaceStore,
    ctx: Context,
    plan_id: int,
    version: str | None,
    summary: str,
    edit: Callable[[str], str],
    rule: str | None = None,
) -> EditedPlan:
    may_write(ctx.principal, "edit plans")
    with workspace.unit_of_work(write=True, lock="plans") as uow:
        stored = draft_in(uow, plan_id, "edited", version)
        if rule is not None:
            _checked_rule(uow, stored_plan(uow, plan_id, "plan_id"), rule)
        source = edit(stored.source)
        plan = parse_plan(source, _label(plan_id))
        count, fields = account_fields(uow, plan)
        if count:
            check_plan(plan, fields)
        uow.plans.replace_source(plan_id, plan.name, stored.file_name, source)
        keep_parsed_plan(uow, plan_id, plan)
        record_plan_edit(uow, ctx, plan_id, f"plan {plan_id}: {summary}", source)
        return EditedPlan(plan_in(uow, plan_id), plan)


def add_territory(
    workspace: WorkspaceStore,
    ctx: Context,
    plan_id: int,
    fields: Mapping[str, Any],
    parent_id: str | None = None,
    version: str | None = None,
) -> EditedPlan:
    """A new territory (`fields`: id, and name, rule, layer, priority, reps...) last under its parent."""
    territory_id = str(fields["id"])
    return _edit(
        workspace,
        ctx,
        plan_id,
        version,
        f"territory {territory_id} added" + (f" under {parent_id}" if parent_id else ""),
        lambda source: with_territory_added(source, parent_id, fields),
        fields.get("rule"),
    )


def change_territory(
    workspace: WorkspaceStore,
    ctx: Context,
    plan_id: int,
    territory_id: str,
    fields: Mapping[str, Any],
    version: str | None = None,
    move: bool = False,
    parent_id: str | None = None,
) -> EditedPlan:
    """Set a territory's keys (rule, name, priority, reps...; None removes one) and, with `move`,
    put it last under `parent_id` (None: the top level): one edit, one new version."""
    done = [f"{', '.join(sorted(fields))} changed"] if fields else []
    if move:
        done.append(f"moved under {parent_id or 'the top level'}")

    def edited(source: str) -> str:
        source = with_territory_changed(source, territory_id, fields) if fields else source
        return with_territory_moved(source, territory_id, parent_id) if move else source

    return _edit(
        workspace,
        ctx,
        plan_id,
        version,
        f"territory {territory_id}: {' and '.join(done) or 'unchanged'}",
        edited,
        fields.get("rule"),
    )


def delete_territory(
    workspace: WorkspaceStore, ctx: Context, plan_id: int, territory_id: str, version: str | None = None
) -> EditedPlan:
    return _edit(
        workspace,
        ctx,
        plan_id,
        version,
        f"territory {territory_id} deleted",
        lambda source: with_territory_deleted(source, territory_id),
    )


@dataclass(frozen=True)
class RuleMatches:
    territory_id: str
    rule: str | None
    within_parent: int  # active accounts that reach the territory (its parents' rules) and match it
    would_win: int | None  # of those, the accounts it would win in its layer; None unless asked


def rule_matches(
    workspace: WorkspaceStore,
    ctx: Context,
    plan_id: int,
    territory_id: str,
    rule: str | None = None,
    would_win: bool = False,
) -> RuleMatches:
    """How many active accounts the territory matches within its parent with `rule` in place of its
    own (its own when None): the count to show while a rule is typed. `would_win` assigns every
    account with the edited plan, which takes longer on a large workspace."""
    may_write(ctx.principal, "edit plans")
    with workspace.unit_of_work() as uow:
        stored = plan_in(uow, plan_id, "plan_id")
        source = stored.source
        if rule is not None:
            _checked_rule(uow, stored_plan(uow, plan_id, "plan_id"), rule)
            source = with_territory_changed(source, territory_id, {"rule": rule})
    plan = parse_plan(source, _label(plan_id))
    index = next((i for i, t in enumerate(plan.territories) if t.id == territory_id), None)
    if index is None:
        raise BadInput.at(f"plan {plan_id} has no territory {territory_id!r}", "territory_id")
    plan, book, _warnings = load_workspace_book(workspace, plan)
    compiled = CompiledPlan(plan)
    frame = evaluation_frame(book.frame, book.columns, book.schema, compiled.fields)
    within = int(evaluate_membership(compiled, frame).members[index])
    wins = None
    if would_win:
        workload, null_workload = account_workload(plan, book)
        rows = assign(compiled, book, workload, null_workload).rows
        wins = int((rows.get_column("territory_id") == territory_id).sum())
    return RuleMatches(territory_id, rule if rule is not None else stored_rule(plan, index), within, wins)


def stored_rule(plan: Plan, index: int) -> str | None:
    source = plan.territories[index].source
    return source.text if source is not None else None
