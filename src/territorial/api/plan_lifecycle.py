"""A plan's lifecycle through the API, as `territorial plan ...` runs it: assign (a run kept),
check, compare, activate (now, or scheduled for a later day) and unschedule. Activating or
unscheduling changes the plan, so it takes the plan's ETag as If-Match."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from territorial.api.auth import Caller, Workspace
from territorial.api.models import Run
from territorial.api.write_headers import IdempotencyKey, IfMatch, once, required_version
from territorial.api.write_models import (
    ActivationDone,
    ActivationIn,
    CheckResult,
    PlanCheckResults,
    PlanComparison,
    RepBalance,
    Unscheduled,
)
from territorial.services.activation import activate_plan, unschedule_plan
from territorial.services.assign import assign_plan
from territorial.services.compare import Balance, compare_plans
from territorial.services.plan_checks import check_stored_plan
from territorial.services.plan_views import written_run

router = APIRouter()


@router.post(
    "/plans/{plan_id}/assign", response_model=Run, status_code=201, operation_id="assign_plan", tags=["plans"]
)
def assign(
    workspace: Workspace, ctx: Caller, request: Request, plan_id: int, key: IdempotencyKey = None
) -> JSONResponse:
    """Assign the workspace's accounts with the plan and keep the run (GET /runs/{run_id})."""

    def act() -> Run:
        return Run.model_validate(written_run(workspace, ctx, assign_plan(workspace, ctx, plan_id).run_id))

    return once(workspace, ctx, request, key, None, 201, act)


@router.post(
    "/plans/{plan_id}/check", response_model=PlanCheckResults, operation_id="check_plan", tags=["plans"]
)
def check(workspace: Workspace, ctx: Caller, plan_id: int) -> PlanCheckResults:
    """Run the plan's `checks:` on the workspace's accounts, as activating it would."""
    checked = check_stored_plan(workspace, ctx, plan_id)
    results = [
        CheckResult(
            name=outcome.check.name,
            passed=outcome.passed,
            rows=outcome.rows,
            failed_rows=outcome.failed.height,
        )
        for outcome in checked.outcomes
    ]
    return PlanCheckResults(
        plan_id=plan_id, passed=all(r.passed for r in results), checks=results, baseline=checked.baseline
    )


def _balance(balance: Balance) -> RepBalance:
    return RepBalance(reps=balance.reps, cv=balance.cv, max_over_mean=balance.max_over_mean)


@router.get(
    "/plans/{plan_id}/compare/{other_plan_id}",
    response_model=PlanComparison,
    operation_id="compare_plans",
    tags=["plans"],
)
def compare(workspace: Workspace, ctx: Caller, plan_id: int, other_plan_id: int) -> PlanComparison:
    """The plan (its live rows when active) against another as activating it now would make it."""
    found = compare_plans(workspace, ctx, plan_id, other_plan_id)
    return PlanComparison(
        plan_a=found.plan_a,
        plan_b=found.plan_b,
        accounts_moving=found.movers.height,
        continuity=found.continuity,
        balance_a=_balance(found.balance_a),
        balance_b=_balance(found.balance_b),
        warnings=[str(w.message) for w in found.warnings],
    )


@router.post(
    "/plans/{plan_id}/activate", response_model=ActivationDone, operation_id="activate_plan", tags=["plans"]
)
def activate(
    workspace: Workspace, ctx: Caller, plan_id: int, body: ActivationIn, if_match: IfMatch = None
) -> ActivationDone:
    """Make the plan active today, or schedule it for a later day; its checks must pass unless
    `skip_checks`. Refused with 412 when the plan changed since the version in If-Match."""
    done = activate_plan(
        workspace,
        ctx,
        plan_id,
        body.effective,
        body.skip_checks,
        end_stale_overrides=body.end_stale_overrides,
        version=required_version(if_match),
    )
    return ActivationDone(
        plan_id=done.plan_id,
        activation_id=done.activation_id,
        effective=done.effective,
        scheduled=done.scheduled,
        archived=done.archived,
        accounts=done.accounts,
        live_changes=done.changed,
        warnings=[str(w.message) for w in done.warnings],
    )


@router.post(
    "/plans/{plan_id}/unschedule", response_model=Unscheduled, operation_id="unschedule_plan", tags=["plans"]
)
def unschedule(workspace: Workspace, ctx: Caller, plan_id: int, if_match: IfMatch = None) -> Unscheduled:
    """Cancel the plan's scheduled activation: it is a draft (or archived) again."""
    effective = unschedule_plan(workspace, ctx, plan_id, required_version(if_match))
    return Unscheduled(plan_id=plan_id, effective=effective)
