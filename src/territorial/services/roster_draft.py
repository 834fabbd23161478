"""A roster change's recommended reassignment: the balancing optimizer run on the workspace's accounts
and owners, with the roster's primary reps as it stands after the change, stored as a draft plan."""

from __future__ import annotations

from dataclasses import dataclass

from territorial.domain.plan import PRIMARY
from territorial.domain.roster import RosterChangeKind, StoredRosterChange
from territorial.errors import BadInput
from territorial.io.plan_file import parse_plan
from territorial.progress import Progress, silent
from territorial.rules.parser import RuleError, parse_rule
from territorial.services.balance import BalanceOptions, balance_files
from territorial.services.context import Context
from territorial.services.draft_plan import draft_plan
from territorial.services.pins import pools_of
from territorial.services.plans import stored_plan
from territorial.services.unit_of_work import WorkspaceStore


def check_recommendation(max_moves: float | None, lock: str | None) -> None:
    """The options of the recommendation, checked before the roster change is made: bad ones are
    bad input (exit 2), never a change made without its draft."""
    if max_moves is not None and not 0 <= max_moves <= 1:
        raise BadInput.at("a share of accounts between 0 and 1, such as 0.02 or 2%", "--max-moves")
    if lock is not None:
        try:
            parse_rule(lock)
        except RuleError as err:
            raise BadInput.at(f"{lock!r}: {err.message}", "--lock") from None


@dataclass(frozen=True)
class Recommendation:
    """The draft plan written (`plan compare active ID` shows what it would change), or why none was."""

    plan_id: int | None
    moves: int = 0  # accounts the draft gives another rep
    why_not: str | None = None


def recommend(
    workspace: WorkspaceStore,
    ctx: Context,
    change: StoredRosterChange,
    max_moves: float | None = None,
    lock: str | None = None,
    progress: Progress = silent,
) -> Recommendation:
    """Balance the workspace's accounts among the primary roster's reps as they are once `change`
    is made (`max_moves`: the share of accounts that may change rep; `lock`: a rule whose accounts
    stay with their rep), and store the alignment as a draft plan. A workspace the optimizer cannot
    balance (accounts it cannot locate, a rule that does not parse...) gets no draft, and says why:
    the roster change stands either way."""
    with workspace.unit_of_work() as uow:
        active = uow.plans.active()
        if active is None:
            return Recommendation(None, why_not="no plan is active")
        plan = stored_plan(uow, active.plan_id)
        pools = pools_of(uow.roster.current())
    primary = {t.id for t in plan.territories if t.layer == PRIMARY}
    reps = {rep for territory, pool in pools.items() if territory in primary for rep in pool}
    if change.kind is RosterChangeKind.LEAVE:
        reps.discard(change.rep_id)
    elif change.territory_id in primary:
        reps.add(change.rep_id)
    if not reps:
        return Recommendation(None, why_not="the primary roster has no rep left to balance among")
    request = BalanceOptions(
        from_workspace=True,
        workspace=workspace,
        plan=str(active.plan_id),
        max_moves=max_moves,
        lock=lock,
        only_reps=frozenset(reps),
        best_effort=True,
    )
    try:
        run = balance_files(request, progress)
        text = draft_plan(run, f"Recommended for roster change {change.change_id}: {change.what()}")
    except BadInput as err:
        return Recommendation(None, why_not=err.problems[0].message if err.problems else str(err))
    file_name = f"roster-change-{change.change_id}.yaml"
    with workspace.unit_of_work(write=True, lock="plans") as uow:
        plan_id = uow.plans.add(parse_plan(text).name, file_name, text, ctx.now(), ctx.actor)
    return Recommendation(plan_id, int(run.table.get_column("moved").sum()))
