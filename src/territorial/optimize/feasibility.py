"""Requests that cannot be met, caught before solving, each explained by the constraint that binds."""

from __future__ import annotations

import numpy as np

from territorial.errors import BadInput, Problem
from territorial.optimize.problem import NONE, Territories, Units

MOVE_BUDGET = "max-moves"  # the subject of a refusal the move budget causes


class Infeasible(BadInput):
    """No alignment can meet the request; the message names the binding constraint."""


class OutOfTime(BadInput):
    """The time limit ran out before an alignment within tolerance was found: no answer, and no
    proof there is none. Exits 2 like bad input: the remedy is in the request (--time-limit)."""

    @classmethod
    def after(cls, seconds: float, source: str | None = None) -> OutOfTime:
        problem = BadInput.at(
            f"time limit {seconds:g} s reached before a feasible alignment; raise --time-limit",
            source,
            subject="time-limit",
        ).problems
        return cls(problem)


class SolverFailed(BadInput):
    """The LP solver gave no answer about the model (a status other than optimal, infeasible or
    a limit), even on its retry: a failure of the solver, not a time limit and not a proof."""

    @classmethod
    def during(cls, stage: str, status: str, source: str | None = None) -> SolverFailed:
        problem = BadInput.at(
            f"the solver (HiGHS) failed while {stage}: status {status!r}, also when retried by the dual "
            "simplex without presolve; try another --seed, or report this file to the Territorial team",
            source,
            subject="solver",
        ).problems
        return cls(problem)


class ToleranceNotMet(BadInput):
    """The search ended (not for lack of time) with territories outside their tolerance; no proof
    that it is impossible either. `alignment` holds the best effort for callers that accept it."""

    def __init__(self, problems: list[Problem], alignment: object = None) -> None:
        super().__init__(problems)
        self.alignment = alignment


def _fail(units: Units, message: str, subject: str | None = None) -> Infeasible:
    problem = BadInput.at(message, units.source, None, None, subject).problems
    return Infeasible(problem)


def percent(share: float) -> str:
    """0.032 -> '3.2%', 0.05 -> '5%'."""
    text = f"{share * 100:.1f}".rstrip("0").rstrip(".")
    return f"{text}%"


def check_request(
    units: Units,
    territories: Territories,
    names: list[str],
    tolerance: np.ndarray,
    target: np.ndarray,
    group: np.ndarray,
    allowed: np.ndarray,
    best_effort: bool = False,
) -> None:
    """Raise Infeasible when a single unit, the locks or the skills make the bands impossible.

    `names`, `tolerance` and `target` (k, m) describe the balanced metrics. With `best_effort`,
    a territory's band stretches to hold its locked units (see balance.problem.prepare)."""
    amounts = np.column_stack([units.metrics[name] for name in names])
    upper = target * (1 + tolerance)
    lower = target * (1 - tolerance)
    locked = units.locked_or_none()
    held = locked_load(locked, amounts, len(territories))
    if best_effort:
        upper = np.maximum(upper, held * (1 + 1e-9))
    _check_skills_held(units, group, allowed)
    # Where each unit may go: its lock, or every territory its skills allow.
    for g in range(allowed.shape[0]):
        members = np.flatnonzero((group == g) & (locked == NONE))
        if members.size == 0:
            continue
        room = upper[allowed[g]].max(axis=0)
        _check_single_units(units, names, tolerance, target, amounts, members, room)
    for metric, name in enumerate(names):
        over = np.flatnonzero(held[:, metric] > upper[:, metric] * (1 + 1e-9))
        if over.size:
            j = int(over[0])
            carried = held[j, metric] / target[j, metric]
            raise _fail(
                units,
                f"tolerance ±{percent(tolerance[metric])} impossible: the locked {units.noun}s of "
                f"territory {territories.ids[j]} already carry {percent(carried)} "
                f"of its {name} target",
                name,
            )
    _check_skill_groups(units, territories, names, tolerance, target, amounts, group, allowed, lower, upper)
    # Whole units first: when both prove it, "no whole number of accounts fits" says it plainer.
    _check_whole_units(units, territories, names, tolerance, target, amounts, lower, upper)
    _check_heavy_units(units, territories, names, tolerance, amounts, upper)


# How many units a territory may hold at most that the pigeonhole check looks at: 1 (units over half
# the widest band), 2 (over a third) ... A few suffice: past them the other checks bind first.
PIGEONHOLE_DEPTH = 4
_SHARE_WORDS = {1: "half", 2: "a third", 3: "a quarter", 4: "a fifth"}


def _check_heavy_units(
    units: Units,
    territories: Territories,
    names: list[str],
    tolerance: np.ndarray,
    amounts: np.ndarray,
    upper: np.ndarray,
) -> None:
    """Pigeonholes: units each over 1/(m+1) of the widest band fit at most m to a territory, so more
    than m × k of them cannot all be placed (41 accounts each over half a band, among 40 reps)."""
    k = len(territories)
    for metric, name in enumerate(names):
        room = float(upper[:, metric].max())
        if room <= 0:
            continue
        heaviest = np.sort(amounts[:, metric])[::-1]
        for m in range(1, PIGEONHOLE_DEPTH + 1):
            if m * k >= heaviest.size:
                break
            share = room / (m + 1)
            if heaviest[m * k] > share * (1 + 1e-9):
                count = int(np.count_nonzero(heaviest > share * (1 + 1e-9)))
                each = "one" if m == 1 else f"{m}"
                raise _fail(
                    units,
                    f"tolerance ±{percent(tolerance[metric])} impossible: {count} {units.noun}s each carry "
                    f"more than {_SHARE_WORDS[m]} of the most {name} a territory may carry "
                    f"({room:.4g}), so a territory holds at most {each} of them, and {k} territories "
                    f"hold at most {m * k}; widen the tolerance, or add territories",
                    name,
                )


def _check_whole_units(
    units: Units,
    territories: Territories,
    names: list[str],
    tolerance: np.ndarray,
    target: np.ndarray,
    amounts: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
) -> None:
    """When every unit's amount is a multiple of one step (1 for a count or a workload of 1 per
    account, whole employees), so is every territory's load: a band that holds no multiple, or bands
    whose multiples cannot add up to the total, cannot be met (145 accounts among 41 reps at ±5%:
    3.36 to 3.72 accounts each). Without this, the search only found nothing and could not say why."""
    for metric, name in enumerate(names):
        step = common_step(amounts[:, metric])
        if step is None:
            continue
        lowest = np.ceil(lower[:, metric] / step - 1e-9) * step
        highest = np.floor(upper[:, metric] / step + 1e-9) * step
        every = f"every {units.noun}'s {name} is a multiple of {step:g}, so every territory's is too"
        empty = np.flatnonzero(lowest > highest)
        if empty.size:
            j = int(empty[0])
            aim = target[j, metric]
            below, above = np.floor(aim / step) * step, np.ceil(aim / step) * step
            raise _fail(
                units,
                f"tolerance ±{percent(tolerance[metric])} impossible with whole {units.noun}s: {every}, "
                f"but territory {territories.ids[j]} must carry {lower[j, metric]:.4g} to "
                f"{upper[j, metric]:.4g} (its target {aim:.4g} ±{percent(tolerance[metric])}); the nearest "
                f"multiples, {below:g} and {above:g}, are {percent((aim - below) / aim)} below and "
                f"{percent((above - aim) / aim)} above it (so for {empty.size} of the {len(territories)} "
                "territories); widen the tolerance, or change the number of territories",
                name,
            )
        total = float(amounts[:, metric].sum())
        if highest.sum() < total * (1 - 1e-9) or lowest.sum() > total * (1 + 1e-9):
            most = highest.sum() < total * (1 - 1e-9)
            bound = highest.sum() if most else lowest.sum()
            raise _fail(
                units,
                f"tolerance ±{percent(tolerance[metric])} impossible with whole {units.noun}s: {every}, "
                f"and within their bands the {len(territories)} territories together carry "
                f"{'at most' if most else 'at least'} {bound:g} of the {total:g} {name} there is; "
                "widen the tolerance, or change the number of territories",
                name,
            )


def common_step(values: np.ndarray) -> float | None:
    """The largest amount that every value is a whole multiple of: the greatest common divisor of
    whole numbers, or the one value all non-zero ones share; None when there is none to speak of."""
    finite = values[np.isfinite(values)]
    if finite.size != values.size or finite.size == 0:
        return None
    if np.all(finite == np.round(finite)) and np.abs(finite).max() < 2**53:
        step = int(np.gcd.reduce(np.abs(finite).astype(np.int64)))
        return float(step) if step > 0 else None
    nonzero = np.unique(np.abs(finite[finite != 0]))
    return float(nonzero[0]) if nonzero.size == 1 else None


def locked_load(locked: np.ndarray, amounts: np.ndarray, k: int) -> np.ndarray:
    """(k, m): what each territory's locked units carry of each column of `amounts` (n, m)."""
    pinned = np.flatnonzero(locked != NONE)
    columns = [
        np.bincount(locked[pinned], weights=amounts[pinned, m], minlength=k) for m in range(amounts.shape[1])
    ]
    return np.column_stack(columns).reshape(k, amounts.shape[1])


def band_shares(amounts: np.ndarray, target: np.ndarray, tolerance: np.ndarray) -> np.ndarray:
    """(n, m): each unit's amount of each balanced metric as a share of the widest territory band;
    above 1, the unit alone is more than any territory may hold (0 where the band is 0)."""
    room = (target * (1 + tolerance)).max(axis=0)
    return np.asarray(amounts / np.where(room > 0, room, np.inf))


def _check_skills_held(units: Units, group: np.ndarray, allowed: np.ndarray) -> None:
    stranded = np.flatnonzero(~allowed.any(axis=1))
    for g in stranded:
        members = np.flatnonzero(group == g)
        if members.size and units.skills is not None:
            first = int(members[0])
            need = ", ".join(sorted(units.skills[first]))
            raise _fail(
                units,
                f"{units.noun} {units.ids[first]} needs {need}, which no rep has "
                f"({members.size} {units.noun}s need it)",
                "skills",
            )


def _check_single_units(
    units: Units,
    names: list[str],
    tolerance: np.ndarray,
    target: np.ndarray,
    amounts: np.ndarray,
    members: np.ndarray,
    room: np.ndarray,
) -> None:
    for metric, name in enumerate(names):
        too_big = members[amounts[members, metric] > room[metric] * (1 + 1e-9)]
        if too_big.size:
            worst = int(too_big[np.argmax(amounts[too_big, metric])])
            share = amounts[worst, metric] / target[:, metric].max()
            raise _fail(
                units,
                f"tolerance ±{percent(tolerance[metric])} impossible: {units.noun} {units.ids[worst]} "
                f"alone is {percent(share)} of a territory's {name} target",
                name,
            )


def _check_skill_groups(
    units: Units,
    territories: Territories,
    names: list[str],
    tolerance: np.ndarray,
    target: np.ndarray,
    amounts: np.ndarray,
    group: np.ndarray,
    allowed: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
) -> None:
    """Units needing a skill must fit in the reps who have it; each rep must be reachable by
    enough units it may take."""
    totals = amounts.sum(axis=0)
    locked = units.locked_or_none()
    free = locked == NONE
    held = np.zeros_like(upper)
    for metric in range(len(names)):
        held[:, metric] = np.bincount(
            locked[~free], weights=amounts[~free, metric], minlength=len(territories)
        )
    for g in range(1, allowed.shape[0]):
        # Every free unit whose options lie inside this group's options competes for the same
        # reps, in the room their locked units leave.
        inside = np.flatnonzero(np.all(allowed <= allowed[g], axis=1))
        need = amounts[np.isin(group, inside) & free].sum(axis=0)
        room = (upper - held)[allowed[g]].sum(axis=0)
        for metric, name in enumerate(names):
            if need[metric] > room[metric] * (1 + 1e-9) and units.skills is not None:
                first = int(np.flatnonzero(group == g)[0])
                skill = ", ".join(sorted(units.skills[first]))
                reps = int(allowed[g].sum())
                raise _fail(
                    units,
                    f"tolerance ±{percent(tolerance[metric])} impossible: {units.noun}s needing {skill} "
                    f"carry {percent(need[metric] / totals[metric])} of all {name}, but the {reps} "
                    f"reps who have it may carry at most {percent(room[metric] / totals[metric])}",
                    name,
                )
    # The most each territory can reach: the free units of every group allowed there, and its own
    # locked units (per group, not per unit and territory: a million accounts and a thousand reps
    # took 10 s per unit and territory).
    by_group = np.zeros((allowed.shape[0], len(names)))
    for metric in range(len(names)):
        by_group[:, metric] = np.bincount(
            group[free], weights=amounts[free, metric], minlength=allowed.shape[0]
        )
    reach = allowed.T.astype(np.float64) @ by_group + held
    for j in range(len(territories)):
        most = reach[j]
        for metric, name in enumerate(names):
            if most[metric] < lower[j, metric] * (1 - 1e-9):
                raise _fail(
                    units,
                    f"tolerance ±{percent(tolerance[metric])} impossible: territory {territories.ids[j]} "
                    f"can reach at most {percent(most[metric] / target[j, metric])} of its {name} target "
                    f"with the {units.noun}s its skills and the locks allow",
                    name,
                )


def check_pieces(units: Units, pieces: np.ndarray, k: int) -> None:
    """Raise Infeasible when the units' adjacency falls in more separate pieces than there are
    territories: then some territory must be in pieces, whatever the tolerances. `pieces` is each
    unit's connected piece."""
    count = int(pieces.max()) + 1 if pieces.size else 0
    if count <= k:
        return
    sizes = np.bincount(pieces)
    alone = np.flatnonzero(sizes[pieces] == 1)
    example = (
        f"; {units.noun} {units.ids[int(alone[0])]} has no neighbour ({alone.size} such)"
        if alone.size
        else ""
    )
    raise _fail(
        units,
        f"--contiguous impossible: over their adjacency the {units.noun}s fall in {count} separate pieces, "
        f"more than the {k} territories{example}; add the missing edges, or leave out --contiguous",
        "contiguous",
    )


def explain_moves(
    units: Units, needed: float, allowed_moves: int, tolerances: str, kind: str = "LP bound"
) -> Infeasible:
    return _fail(
        units,
        f"the move budget is too small: reaching {tolerances} needs at least {int(np.ceil(needed - 1e-6)):,} "
        f"{units.noun}s to move ({kind}), but at most {allowed_moves:,} may move",
        MOVE_BUDGET,
    )


def tolerance_not_met(
    units: Units,
    territory_ids: list[str],
    names: list[str],
    tolerance: np.ndarray,
    deviation: np.ndarray,
    alignment: object,
    shown: int = 5,
) -> ToleranceNotMet:
    """Name the territories outside tolerance, worst first, each with its binding metric.
    `deviation` is (k, m) relative to target for the balanced metrics `names`."""
    excess = np.abs(deviation) - tolerance
    worst_metric = np.argmax(excess / np.maximum(tolerance, 1e-12), axis=1)
    k = deviation.shape[0]
    rows = np.arange(k)
    outside = np.flatnonzero(excess[rows, worst_metric] > 1e-9)
    outside = outside[np.argsort(-excess[outside, worst_metric[outside]], kind="stable")]
    parts = []
    for j in outside[:shown].tolist():
        metric = int(worst_metric[j])
        parts.append(
            f"{territory_ids[j]} {names[metric]} {deviation[j, metric]:+.1%} (±{percent(tolerance[metric])})"
        )
    more = f" and {outside.size - shown} more" if outside.size > shown else ""
    binding = sorted({names[int(worst_metric[j])] for j in outside.tolist()})
    problem = BadInput.at(
        f"tolerance not met: {outside.size} of {k} territories are outside it: {', '.join(parts)}{more}; "
        "no alignment within tolerance was found (the request may still be feasible); pass "
        "--best-effort to accept this alignment, or widen the tolerance",
        units.source,
        subject=", ".join(binding),
    ).problems
    return ToleranceNotMet(problem, alignment)


def explain_lp(units: Units, tolerances: str) -> Infeasible:
    return _fail(
        units,
        f"{tolerances} impossible: no split of the {units.noun}s, even fractional, holds every band "
        "together with the skills, locks and move budget",
    )


def explain_whole_units(
    units: Units, names: list[str], tolerance: np.ndarray, target: np.ndarray
) -> Infeasible:
    """Fractions would fit but whole units do not: name the coarsest unit against the band."""
    amounts = np.column_stack([units.metrics[name] for name in names])
    # A metric whose total is 0 (every unit 0) cannot be the one that binds.
    mean = target.mean(axis=0)
    per_target = np.where(mean > 0, mean, np.inf)
    relative = amounts / per_target / np.maximum(tolerance, 1e-12)
    unit, metric = np.unravel_index(int(np.argmax(relative)), relative.shape)
    share = amounts[unit, metric] / per_target[metric]
    return _fail(
        units,
        f"tolerance ±{percent(tolerance[metric])} impossible with whole {units.noun}s: "
        f"{units.noun} {units.ids[unit]} alone is {percent(share)} of a territory's {names[metric]} target",
        names[metric],
    )
