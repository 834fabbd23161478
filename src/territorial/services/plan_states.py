"""Plan versions in the workspace: a draft is cloned, updated and deleted; what has been active stays."""

from __future__ import annotations

import json
from pathlib import Path
from tempfile import TemporaryDirectory

from territorial.domain.lifecycle import PlanState
from territorial.domain.stored import StoredPlan
from territorial.errors import BadInput, Problem
from territorial.io.plan_reps import with_reps
from territorial.services.audit import record_plan_edit
from territorial.services.context import Context
from territorial.services.permissions import may_write
from territorial.services.pins import pools_of
from territorial.services.plan_files import files_to_keep
from territorial.services.plan_versions import check_version
from territorial.services.plans import add_plan, keep_parsed_plan, plan_in, plan_to_store
from territorial.services.unit_of_work import UnitOfWork, WorkspaceStore


def clone_plan(workspace: WorkspaceStore, ctx: Context, plan_id: int) -> int:
    """A new draft holding the plan's YAML, whatever the plan's state; its id. A clone of the
    active plan carries the roster as it stands in its `reps:` (joins, leaves and moves included)."""
    may_write(ctx.principal, "clone plans")
    with workspace.unit_of_work(write=True, lock="plans") as uow:
        stored = plan_in(uow, plan_id)
        source = stored.source
        if stored.state is PlanState.ACTIVE:
            source = with_reps(source, pools_of(uow.roster.current()))
        cloned = uow.plans.add(stored.name, stored.file_name, source, ctx.now(), ctx.actor)
        uow.plans.keep_files(cloned, uow.plans.files(plan_id))
        record_plan_edit(uow, ctx, cloned, f"plan {cloned} cloned from plan {plan_id}", stored.source)
        return cloned


def draft_in(uow: UnitOfWork, plan_id: int, doing: str, version: str | None = None) -> StoredPlan:
    """The stored draft, at the `version` the caller read when one is given (If-Match)."""
    stored = plan_in(uow, plan_id)
    if stored.state is not PlanState.DRAFT:
        hint = (
            "`territorial plan unschedule` makes it a draft again"
            if stored.state is PlanState.SCHEDULED
            else f"`territorial plan clone {plan_id}` makes a draft of it"
        )
        raise BadInput.at(
            f"plan {plan_id} is {stored.state.value}: only a draft can be {doing}; {hint}", "PLAN_ID"
        )
    check_version(plan_id, stored.source, version)
    return stored


def update_plan(
    workspace: WorkspaceStore,
    ctx: Context,
    plan_id: int,
    path: str | Path,
    warnings: list[Problem] | None = None,
    version: str | None = None,
) -> None:
    """A draft's YAML and files replaced by a plan file's, checked as `plan add` checks it; with
    `version`, only if the draft is still at that version."""
    may_write(ctx.principal, "update plans")
    plan, source = plan_to_store(workspace, path, warnings)
    files, missing = files_to_keep(plan, Path(path).resolve().parent)
    if warnings is not None:
        warnings += missing
    with workspace.unit_of_work(write=True, lock="plans") as uow:
        draft_in(uow, plan_id, "updated", version)
        uow.plans.replace_source(plan_id, plan.name, Path(path).name, source)
        uow.plans.keep_files(plan_id, files)
        keep_parsed_plan(uow, plan_id, plan)
        record_plan_edit(uow, ctx, plan_id, f"plan {plan_id} updated from {Path(path).name}", source)


def delete_plan(
    workspace: WorkspaceStore, ctx: Context, plan_id: int, with_runs: bool = False, version: str | None = None
) -> int:
    """A draft deleted; one that has runs only `with_runs` (its assignment runs go with it; routing
    runs keep their decisions and the plan's name). How many runs named it."""
    may_write(ctx.principal, "delete plans")
    with workspace.unit_of_work(write=True, lock="plans") as uow:
        stored = draft_in(uow, plan_id, "deleted", version)
        runs = uow.plans.run_count(plan_id)
        if runs and not with_runs:
            raise BadInput.at(
                f"plan {plan_id} has {runs} run{'s' if runs != 1 else ''}; --with-runs deletes its "
                "assignment runs too (routing decisions are kept, with the plan's name)",
                "PLAN_ID",
            )
        uow.plans.delete(plan_id)
        gone = f" with its {runs} runs" if runs else ""
        record_plan_edit(uow, ctx, plan_id, f"plan {plan_id} ({stored.name}) deleted{gone}")
    return runs


def new_draft(workspace: WorkspaceStore, ctx: Context, name: str, first_territory: str) -> int:
    """A draft called `name` holding one territory (a plan has at least one), to which territories
    are then added one at a time (the web editor's "New draft"); stored as `plan add` stores a plan
    file. Its id."""
    name, first_territory = name.strip(), first_territory.strip()
    if not name or len(name) > 200 or not name.isprintable():
        raise BadInput.at("expected a plan name of 1 to 200 printable characters", "name")
    if not first_territory:
        raise BadInput.at("expected the id of the plan's first territory, such as T-EAST", "territory_id")
    with TemporaryDirectory(prefix="territorial-draft-") as folder:
        path = Path(folder) / "draft.yaml"
        # JSON strings are YAML scalars: the name and id are written as they were typed.
        text = f"name: {json.dumps(name)}\nterritories:\n  - id: {json.dumps(first_territory)}\n"
        path.write_text(text, encoding="utf-8")
        try:
            return add_plan(workspace, ctx, path)
        except BadInput as error:  # the id, as the plan file reader checks it
            raise BadInput.at(error.problems[0].message, "territory_id") from None
