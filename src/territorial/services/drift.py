"""Use case: how far today's data has drifted from the assignment as it was made (the active plan's
activation, or a run), whose CRM owners moved outside the pool, and whether to rebalance."""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from territorial.domain.lifecycle import StoredActivation
from territorial.errors import BadInput, Location, Problem
from territorial.evaluate.drift import FIGURE_COLUMNS, SEGMENT, drift_table, territory_figures
from territorial.progress import Progress, silent
from territorial.services.context import Context
from territorial.services.kpis import choose_assignment
from territorial.services.reevaluation import OwnerDrift, owner_drift
from territorial.services.settings import Settings, load_settings
from territorial.services.unit_of_work import UnitOfWork, WorkspaceStore
from territorial.services.workspace import active_reps
from territorial.store.baselines import ACTIVATION, RUN

# Without a tolerance of the plan's own, a territory drifts when its workload or potential moves by
# more than ±10%: the same band `fairness` flags.
DEFAULT_THRESHOLD = 0.10
# The share of accounts the recommended rebalance may move: small enough to keep continuity.
REBALANCE_MAX_MOVES = 0.05
MOVED_MEASURES = ("accounts", "workload", "potential")


@dataclass(frozen=True)
class DriftReport:
    described: str  # what today's figures are compared with, in words
    plan_id: int
    threshold: float
    table: pl.DataFrame  # evaluate.drift.DRIFT_COLUMNS
    owners: tuple[OwnerDrift, ...]  # CRM owners changed to a rep outside the pool
    has_reps: bool  # the workspace has active reps for `balance --workspace` to balance among
    warnings: list[Problem] = field(default_factory=list)

    @property
    def drifted(self) -> pl.DataFrame:
        """The balanced measures past the threshold, furthest first."""
        return _furthest_first(self.table.filter(pl.col("past_threshold")))

    @property
    def moved(self) -> pl.DataFrame:
        """Every territory's accounts, workload or potential that changed at all, furthest first."""
        changed = pl.col("measure").is_in(MOVED_MEASURES) & (pl.col("then") != pl.col("now"))
        return _furthest_first(self.table.filter(changed))

    @property
    def segments_moved(self) -> pl.DataFrame:
        """The segment counts that changed, by territory and segment."""
        return self.table.filter(
            pl.col("measure").str.starts_with(f"{SEGMENT}:") & (pl.col("then") != pl.col("now"))
        )

    @property
    def workload_changes(self) -> pl.DataFrame:
        """Territories whose workload changed at all: a workload change moves nobody."""
        return self.table.filter((pl.col("measure") == "workload") & (pl.col("then") != pl.col("now")))

    @property
    def owners_table(self) -> pl.DataFrame:
        """account_id, crm_owner_id, rep_id, territory_id of each account whose CRM owner is not its
        live rep."""
        schema = {c: pl.String for c in ("account_id", "crm_owner_id", "rep_id", "territory_id")}
        rows = [(o.account_id, o.crm_owner_id, o.rep_id, o.territory_id) for o in self.owners]
        return pl.DataFrame(rows, schema=schema, orient="row")

    @property
    def rebalance(self) -> str | None:
        """The optimizer's command line when anything drifted past the threshold."""
        if self.drifted.is_empty():
            return None
        # Without reps in the workspace, balance takes them from a file (rep_id, capacity, home).
        reps = "" if self.has_reps else " --reps reps.csv"
        return (
            f"territorial balance --workspace{reps} --plan {self.plan_id} "
            f"--metric workload={self.threshold:g} --max-moves {REBALANCE_MAX_MOVES:g} "
            "--plan-out rebalanced.yaml"
        )


def drift(
    workspace: WorkspaceStore,
    ctx: Context,
    run: int | None = None,
    threshold: float | None = None,
    progress: Progress = silent,
) -> DriftReport:
    """Today's per-territory figures against those the active plan's activation kept (or a run's);
    without --run and with no active plan, the latest run."""
    limit = DEFAULT_THRESHOLD if threshold is None else threshold
    if limit <= 0 or limit >= 1:
        raise BadInput.at(
            f"a threshold is a share between 0 and 1 (0.10 is ±10%), not {limit}", "--threshold"
        )
    settings = load_settings()
    with workspace.unit_of_work() as uow:
        active = uow.plans.active()
        if run is None and active is None:
            runs = uow.runs.list()
            if not runs:
                raise BadInput.at(
                    "nothing to compare with: no plan is active and no run is stored "
                    "(`territorial plan activate ID` or `territorial assign --plan ID`)",
                    "--run",
                )
            run = runs[-1].run_id
        if run is not None:
            then, plan_id, warnings = _run_figures(uow, ctx, settings, run, progress)
            now_chosen = choose_assignment(uow, ctx, settings, None, str(plan_id), progress)
            described = f"run {run} (plan {plan_id}) as it was computed"
        else:
            assert active is not None
            plan_id = active.plan_id
            activation = _applied_activation(uow.activations.history(), plan_id)
            kept = None if activation is None else uow.baselines.figures(ACTIVATION, activation)
            if kept is None:
                raise BadInput.at(
                    f"plan {plan_id} was activated before activations kept their figures: compare with a "
                    f"run instead (`territorial assign --plan {plan_id}`, then `territorial drift --run ID`)",
                    "--run",
                )
            then = pl.DataFrame(kept, schema=FIGURE_COLUMNS, orient="row")
            now_chosen = choose_assignment(uow, ctx, settings, None, "active", progress)
            described = f"plan {plan_id}'s activation {activation}"
            warnings = []
        now = territory_figures(now_chosen.placement, now_chosen.accounts)
        owners = owner_drift(uow)  # none while no plan is active: the CRM's owner is then the owner
        reps = active_reps(uow)
    table = drift_table(then, now, limit)
    has_reps = reps is not None and any(reps.values())
    return DriftReport(described, plan_id, limit, table, owners, has_reps, [*warnings, *now_chosen.warnings])


def _furthest_first(table: pl.DataFrame) -> pl.DataFrame:
    """Rows by the size of their change, largest first (grown from nothing before all), then territory
    and measure."""
    return table.sort(
        [pl.col("change").abs().fill_null(float("inf")), "territory_id", "measure"],
        descending=[True, False, False],
    )


def _run_figures(
    uow: UnitOfWork, ctx: Context, settings: Settings, run: int, progress: Progress
) -> tuple[pl.DataFrame, int, list[Problem]]:
    """The figures `run` kept, its plan's id, and warnings; for a run stored before runs kept their
    figures, its own placement and workload with potential as its plan defines it today."""
    info = uow.runs.get(run)
    if info is None:
        raise BadInput.at(f"no assignment run with id {run}; `territorial run list` shows them", "--run")
    kept = uow.baselines.figures(RUN, run)
    if kept is not None:
        return pl.DataFrame(kept, schema=FIGURE_COLUMNS, orient="row"), info.plan_id, []
    chosen = choose_assignment(uow, ctx, settings, run, None, progress)
    older = Problem(
        Location(subject="--run"),
        f"run {run} was stored before runs kept their figures: its potential is today's, on its "
        "assignment, so only its placement and workload can show drift",
    )
    return territory_figures(chosen.placement, chosen.accounts), info.plan_id, [older, *chosen.warnings]


def _applied_activation(history: list[StoredActivation], plan_id: int) -> int | None:
    applied = [a.activation_id for a in history if a.plan_id == plan_id and a.applied_at is not None]
    return applied[-1] if applied else None
