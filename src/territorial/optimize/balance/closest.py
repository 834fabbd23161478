"""--best-effort: the closest alignment when the tolerances cannot all be met. Only tolerances give
way; locks, skills, the move budget and contiguity are kept.

Two steps, in order:
1. A unit that alone is more than any territory's band (an account bigger than a territory's
   target) is given a territory of its own: its current one, else the nearest home, else the
   largest capacity, among those its skills allow. The territory's band stretches to hold it
   (`prepare` lifts a band to its locked units), so every other territory is balanced as asked.
2. When the request is still infeasible on a metric (a lock, a skill group, no fractional split),
   that metric's tolerance is doubled (at least +5 points) and the search runs again, up to
   RELAX_STEPS times, within the time limit.

The answer is then judged against the tolerances asked for: the territories outside them are the
ones the warning names."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace

import numpy as np

from territorial.optimize.balance.problem import Alignment
from territorial.optimize.feasibility import MOVE_BUDGET, Infeasible, OutOfTime, band_shares
from territorial.optimize.problem import NONE, Rules, Territories, Units, skill_groups, targets

RELAX_STEPS = 12  # 5% doubled 12 times is far beyond any unit's share of a territory

Solver = Callable[[Units, Territories, Rules], Alignment]


def closest(units: Units, territories: Territories, rules: Rules, solve: Solver) -> Alignment:
    """The best-effort alignment: `solve` (the strict balance) on the request relaxed as above."""
    started = time.perf_counter()
    units = with_oversized_alone(units, territories, rules)
    tried = rules
    for step in range(RELAX_STEPS + 1):
        try:
            return judged_against(solve(units, territories, tried), rules.tolerances)
        except Infeasible as error:
            wider = relaxed(tried, error)
            if wider is None or step == RELAX_STEPS:
                raise
            left = rules.time_limit - (time.perf_counter() - started)
            if left <= 0:
                raise OutOfTime.after(rules.time_limit, units.source) from None
            tried = replace(wider, time_limit=left)
    raise AssertionError("unreachable: the last step returns or raises")


def with_oversized_alone(units: Units, territories: Territories, rules: Rules) -> Units:
    """The units, with each one larger than every territory's band locked to a territory of its
    own (largest first). A unit that is already locked keeps its lock."""
    names = list(rules.tolerances)
    if not names:
        return units
    all_names, all_targets = targets(units, territories)
    target = all_targets[:, [all_names.index(name) for name in names]]
    tolerance = np.array([rules.tolerances[name] for name in names])
    amounts = np.column_stack([units.metrics[name] for name in names])
    share = band_shares(amounts, target, tolerance).max(axis=1)
    oversized = np.flatnonzero(share > 1 + 1e-9)
    if oversized.size == 0:
        return units
    locked = units.locked_or_none().copy()
    current = units.current_or_none()
    group, allowed = skill_groups(units, territories)
    taken = np.zeros(len(territories), dtype=bool)
    has_home = ~np.isnan(territories.home).any(axis=1)
    for i in oversized[np.argsort(-share[oversized], kind="stable")].tolist():
        if locked[i] != NONE:
            taken[locked[i]] = True
            continue
        options = allowed[group[i]] & ~taken
        if not options.any():
            continue  # every territory it may join holds a larger one: step 2 relaxes instead
        if current[i] != NONE and options[current[i]]:
            j = int(current[i])
        elif (options & has_home).any():
            homes = np.flatnonzero(options & has_home)
            gap = units.flat(territories.home[homes]) - units.flat(units.xy[[i]])
            j = int(homes[np.argmin(np.hypot(gap[:, 0], gap[:, 1]))])
        else:
            free = np.flatnonzero(options)
            j = int(free[np.argmax(territories.capacity[free])])
        locked[i], taken[j] = j, True
    return replace(units, locked=locked)


def relaxed(rules: Rules, error: Infeasible) -> Rules | None:
    """The rules with the tolerance the error names widened (every tolerance when it names none,
    or names the move budget), or None when what binds is a hard constraint (skills, locks' owners)."""
    subjects = {p.location.subject for p in error.problems}
    if subjects == {None} or subjects == {MOVE_BUDGET}:
        # The move budget is kept: every tolerance gives way until the moves it allows reach them.
        names = list(rules.tolerances)
    else:
        names = [name for name in rules.tolerances if name in subjects]
    if not names:
        return None
    wider = {name: max(2 * t, t + 0.05) if name in names else t for name, t in rules.tolerances.items()}
    return replace(rules, tolerances=wider)


def judged_against(alignment: Alignment, tolerances: dict[str, float]) -> Alignment:
    """The alignment judged against `tolerances` (the ones asked for, not the relaxed ones)."""
    columns = [alignment.metrics.index(name) for name in tolerances]
    tolerance = np.array([tolerances[name] for name in tolerances])
    target = alignment.targets[:, columns]
    off = np.abs(alignment.totals[:, columns] - target)
    within = np.all(off <= tolerance * target * (1 + 1e-9) + 1e-9, axis=1)
    return replace(alignment, within=within, tolerances=dict(tolerances))
