"""What can run as a background job: each kind's parameters (a strict model, checked before the job
is queued) and the existing service it calls, with what it made as the job's result."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_core import ErrorDetails

from territorial.domain.choices import FitEstimator
from territorial.domain.entities import Entity
from territorial.errors import BadInput, Location, Problem
from territorial.io.output import write_text
from territorial.progress import Progress
from territorial.services.assign import assign_plan
from territorial.services.context import Context
from territorial.services.imports import import_records
from territorial.services.plans import plan_in
from territorial.services.review import review
from territorial.services.review_page import review_html
from territorial.services.routing import route_leads
from territorial.services.scoring import train_fit_model
from territorial.services.unit_of_work import WorkspaceStore


class Parameters(BaseModel):
    """Strict, as the API's bodies are: "12" is not a plan id, an unknown field is a mistake."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class AssignParameters(Parameters):
    plan_id: int = Field(ge=1)


class ImportParameters(Parameters):
    entity: Entity
    path: str
    mapping: str | None = None
    full_sync: bool = False
    skip_invalid: bool = False
    force: bool = False


class TrainFitParameters(Parameters):
    history: str
    label: str
    out: str
    exclude: list[str] = Field(default_factory=list)
    estimator: FitEstimator = FitEstimator.AUTO
    random_state: int = 0
    force: bool = False
    mapping: str | None = None


class RouteParameters(Parameters):
    leads: str
    plan_id: int = Field(ge=1)
    mapping: str | None = None


class ReviewParameters(Parameters):
    out: str
    run: int | None = Field(default=None, ge=1)
    plan: str | None = None
    potential: str | None = None


P = TypeVar("P", bound=Parameters)
Result = dict[str, Any]


@dataclass(frozen=True)
class JobKind(Generic[P]):
    """A kind of job: its name, its parameters' model, what to check in the workspace before it is
    queued, and the service call that does the work."""

    name: str
    model: type[P]
    check: Callable[[WorkspaceStore, P], None]
    run: Callable[[WorkspaceStore, Context, P, Progress], Result]

    def parameters(self, given: Mapping[str, Any]) -> P:
        """The parameters, validated as a JSON body is (an enum by its value, no coercion), or the
        first problem located at its field."""
        try:
            return self.model.model_validate_json(json.dumps(dict(given), default=str))
        except ValidationError as err:
            raise BadInput([self._problem(e) for e in err.errors()]) from None

    def _problem(self, error: ErrorDetails) -> Problem:
        field = ".".join(str(part) for part in error["loc"]) or None
        message = "not a parameter of this job" if error["type"] == "extra_forbidden" else error["msg"]
        return Problem(Location(f"{self.name} job", subject=field), message)

    def execute(
        self, workspace: WorkspaceStore, ctx: Context, given: Mapping[str, Any], progress: Progress
    ) -> Result:
        return self.run(workspace, ctx, self.parameters(given), progress)


def _located(kind: str, field: str, message: str) -> BadInput:
    return BadInput.at(message, f"{kind} job", subject=field)


def _an_existing_file(kind: str, field: str, path: str) -> None:
    if not Path(path).is_file():
        raise _located(kind, field, f"no file {path!r} (a path on the server, as it sees it)")


def _a_writable_folder(kind: str, field: str, path: str) -> None:
    if not Path(path).parent.is_dir():
        raise _located(kind, field, f"no folder {str(Path(path).parent)!r} to write {Path(path).name!r} in")


def _check_plan(workspace: WorkspaceStore, kind: str, plan_id: int) -> None:
    with workspace.unit_of_work() as uow:
        try:
            plan_in(uow, plan_id)
        except BadInput as err:
            raise _located(kind, "plan_id", err.problems[0].message) from None


def _check_assign(workspace: WorkspaceStore, given: AssignParameters) -> None:
    _check_plan(workspace, "assign", given.plan_id)


def _assign(workspace: WorkspaceStore, ctx: Context, given: AssignParameters, progress: Progress) -> Result:
    run = assign_plan(workspace, ctx, given.plan_id, progress)
    a = run.assignment
    return {"run_id": run.run_id, "accounts": a.accounts, "unassigned": a.unassigned, "ties": a.ties}


def _check_import(_workspace: WorkspaceStore, given: ImportParameters) -> None:
    _an_existing_file("import", "path", given.path)
    if given.mapping is not None and given.mapping.endswith((".yaml", ".yml")):
        _an_existing_file("import", "mapping", given.mapping)


def _import(workspace: WorkspaceStore, ctx: Context, given: ImportParameters, progress: Progress) -> Result:
    report = import_records(
        workspace,
        ctx,
        given.entity,
        given.path,
        given.mapping,
        full_sync=given.full_sync,
        skip_invalid=given.skip_invalid,
        progress=progress,
        force=given.force,
    )
    return dict(report.summary())


def _check_train(_workspace: WorkspaceStore, given: TrainFitParameters) -> None:
    _an_existing_file("train_fit_model", "history", given.history)
    _a_writable_folder("train_fit_model", "out", given.out)


def _train(
    _workspace: WorkspaceStore, _ctx: Context, given: TrainFitParameters, progress: Progress
) -> Result:
    report = train_fit_model(
        given.history,
        given.label,
        given.exclude,
        given.out,
        given.estimator,
        given.random_state,
        progress,
        given.force,
        mapping=given.mapping,
    )
    roc_auc = None if math.isnan(report.roc_auc) else report.roc_auc  # JSON has no NaN
    return {"out": given.out, "estimator": report.estimator, "rows": report.rows, "roc_auc": roc_auc}


def _check_route(workspace: WorkspaceStore, given: RouteParameters) -> None:
    _an_existing_file("route", "leads", given.leads)
    _check_plan(workspace, "route", given.plan_id)


def _route(workspace: WorkspaceStore, ctx: Context, given: RouteParameters, progress: Progress) -> Result:
    batch = route_leads(workspace, ctx, given.leads, given.plan_id, progress=progress, mapping=given.mapping)
    return {"route_run_id": batch.route_run_id, "leads": len(batch.decisions)}


def _check_review(_workspace: WorkspaceStore, given: ReviewParameters) -> None:
    if Path(given.out).suffix.lower() not in (".html", ".htm"):
        raise _located("review", "out", f"the report is a web page: give a .html file, not {given.out!r}")
    _a_writable_folder("review", "out", given.out)


def _review(workspace: WorkspaceStore, ctx: Context, given: ReviewParameters, progress: Progress) -> Result:
    report = review(workspace, ctx, given.run, given.plan, given.potential, progress=progress)
    progress("Writing the page", None)
    write_text(review_html(report), given.out)
    return {"out": given.out, "described": report.described}


KINDS: dict[str, JobKind[Any]] = {
    kind.name: kind
    for kind in (
        JobKind("assign", AssignParameters, _check_assign, _assign),
        JobKind("import", ImportParameters, _check_import, _import),
        JobKind("train_fit_model", TrainFitParameters, _check_train, _train),
        JobKind("review", ReviewParameters, _check_review, _review),
        JobKind("route", RouteParameters, _check_route, _route),
    )
}


def kind_named(name: str) -> JobKind[Any]:
    kind = KINDS.get(name)
    if kind is None:
        raise BadInput.at(
            f"no job kind {name!r}; the kinds are {', '.join(sorted(KINDS))}", "kind", subject="kind"
        )
    return kind
