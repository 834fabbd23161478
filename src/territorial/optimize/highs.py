"""One thin door to the HiGHS solver: linear programs and small MILPs from sparse matrices."""

from __future__ import annotations

import functools
import os
import sys
from dataclasses import dataclass, replace

import highspy
import numpy as np
import scipy.sparse as sp

INF = highspy.kHighsInf
# The statuses that answer the model; any other is a solver failure, retried once (`solve`).
SETTLED = ("optimal", "infeasible", "time limit", "node limit")


@dataclass(frozen=True)
class Solution:
    status: str  # "optimal", "infeasible", "time limit" or another HiGHS model status
    x: np.ndarray  # column values (empty unless a solution exists)
    row_duals: np.ndarray  # LP only: HiGHS signs, positive at a row's lower bound
    objective: float
    mip_bound: float  # MILP: the solver's proven lower bound; LP: the objective

    @property
    def has_solution(self) -> bool:
        return self.x.size > 0


def solve(
    cost: np.ndarray,
    matrix: sp.csc_array,
    row_lower: np.ndarray,
    row_upper: np.ndarray,
    col_upper: np.ndarray | float = 1.0,
    integer: bool = False,
    time_limit: float | None = None,
    seed: int = 0,
    interior: bool = False,
    presolve: bool = True,
    gap: float = 1e-6,
    node_limit: int | None = None,
    offset: float = 0.0,
) -> Solution:
    """Minimise cost·x subject to row_lower <= matrix·x <= row_upper and 0 <= x <= col_upper.

    Single-threaded with a fixed seed, so the same model gives the same answer on every run.
    `interior` solves an LP by interior point and crossover instead of the dual simplex.
    `presolve=False` skips HiGHS's presolve, which on a few rows over many columns (the move
    bounds) can take seconds for a model the simplex then solves in milliseconds. A MILP stops at
    the relative `gap` or after `node_limit` branch-and-bound nodes: limits that, unlike a time
    limit, give the same answer on every machine. `offset` is a constant added to the objective:
    the cost of what is fixed outside the model, so that the gap is relative to the whole."""
    n_rows, n_cols = matrix.shape
    lp = highspy.HighsLp()
    lp.num_col_ = n_cols
    lp.num_row_ = n_rows
    lp.col_cost_ = np.asarray(cost, dtype=np.float64)
    lp.offset_ = float(offset)
    lp.col_lower_ = np.zeros(n_cols)
    lp.col_upper_ = np.broadcast_to(np.asarray(col_upper, dtype=np.float64), (n_cols,)).copy()
    lp.row_lower_ = np.asarray(row_lower, dtype=np.float64)
    lp.row_upper_ = np.asarray(row_upper, dtype=np.float64)
    csc = sp.csc_array(matrix)
    csc.sort_indices()
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = csc.indptr.astype(np.int32)
    lp.a_matrix_.index_ = csc.indices.astype(np.int32)
    lp.a_matrix_.value_ = csc.data.astype(np.float64)
    if integer:
        lp.integrality_ = [highspy.HighsVarType.kInteger] * n_cols
    _quiet_banner()
    options = _Options(integer, time_limit, seed, interior, presolve, gap, node_limit)
    h, text = _run(lp, options)
    if text not in SETTLED:
        # A solver failure ("not set", "solve error", "infeasible or unbounded" from presolve...),
        # not an answer about the model: once more by the dual simplex without presolve.
        h, text = _run(lp, replace(options, interior=False, presolve=False, dual_simplex=True))
    info = h.getInfo()
    if info.primal_solution_status != highspy.kSolutionStatusFeasible:
        empty = np.zeros(0)
        return Solution(text, empty, empty, float("inf"), float("-inf"))
    solution = h.getSolution()
    x = np.asarray(solution.col_value, dtype=np.float64)
    duals = np.zeros(0) if integer else np.asarray(solution.row_dual, dtype=np.float64)
    objective = float(info.objective_function_value)
    bound = float(info.mip_dual_bound) if integer else objective
    return Solution(text, x, duals, objective, bound)


@dataclass(frozen=True)
class _Options:
    integer: bool
    time_limit: float | None
    seed: int
    interior: bool
    presolve: bool
    gap: float
    node_limit: int | None
    dual_simplex: bool = False


def _run(lp: highspy.HighsLp, options: _Options) -> tuple[highspy.Highs, str]:
    """One HiGHS run of `lp` with the options; the solver and its status in words."""
    h = highspy.Highs()  # type: ignore[no-untyped-call]
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", 1)
    h.setOptionValue("random_seed", int(options.seed) % 2_147_483_647)
    if not options.presolve:
        h.setOptionValue("presolve", "off")
    if options.time_limit is not None:
        h.setOptionValue("time_limit", float(max(options.time_limit, 0.01)))
    if options.integer:
        h.setOptionValue("mip_rel_gap", float(options.gap))
        if options.node_limit is not None:
            h.setOptionValue("mip_max_nodes", int(options.node_limit))
    elif options.dual_simplex:
        h.setOptionValue("solver", "simplex")
        h.setOptionValue("simplex_strategy", 1)  # dual
    elif options.interior:
        # Interior point, then crossover to a vertex (a vertex splits few units): on large
        # transport problems with balance rows it is several times faster than the simplex.
        h.setOptionValue("solver", "ipm")
    else:
        # The simplex unscaled: our LPs come scaled (metrics divided by their mean target, one 1
        # per unit row), and HiGHS's own scaling took 30% of the time of the 8 coarse LPs of the
        # 30,000-account benchmark (3.03 s against 2.09 s) for the same optima; every balance
        # bench figure is the same. A numerical failure is retried by `solve`, scaled.
        h.setOptionValue("simplex_scale_strategy", 0)
    h.passModel(lp)
    h.run()
    status = h.getModelStatus()
    text = {
        highspy.HighsModelStatus.kOptimal: "optimal",
        highspy.HighsModelStatus.kInfeasible: "infeasible",
        highspy.HighsModelStatus.kTimeLimit: "time limit",
        highspy.HighsModelStatus.kSolutionLimit: "node limit",
    }.get(status, h.modelStatusToString(status).lower())
    return h, text


@functools.cache
def _quiet_banner() -> None:
    """HiGHS prints its banner on stdout when the first solver is made; stdout may carry CSV."""
    sys.stdout.flush()
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        highspy.Highs()  # type: ignore[no-untyped-call]
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)
