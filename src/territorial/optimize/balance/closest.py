"""--best-effort: the closest alignment when the tolerances cannot all be met. Only tolerances give
way; locks, skills, the move budget and contiguity are kept.

Three steps, in order:
1. Units too large for any band get territories of their own (`alone`): a unit that alone is more
   than a territory's band, or, when more units than territories each carry over half a band (over a
   third, ... as the pigeonhole check in feasibility.py counts them), the lightest few of those that
   must share one territory. Nothing else joins such a territory, and the targets of the others are
   recomputed from what is left, one unit or group at a time, largest first (a unit may only become
   too large once a larger one has left: 110,000 employees is 96% of the target of 10 territories,
   but over the band of the 8 left once the two largest are alone). Their territory is the unit's
   current one, else the nearest home, else the largest capacity, among those its skills allow, and
   neither one where another unit is locked nor the last one a skill of the others needs. A locked
   unit is alone where it is locked.
2. The other units are balanced into the other territories, on their own targets, as asked. When that
   is still infeasible on a metric (a lock, a skill group, no fractional split), that metric's
   tolerance is doubled (at least +5 points) and the search runs again, up to RELAX_STEPS times,
   within the time limit.
3. When the units left alone would cost more moves than the budget allows, or the others then meet a
   hard constraint (the skills or pieces left), the units are only locked to their territory (whose
   band stretches to hold them, `prepare`) and step 2 runs on the whole request.

The answer is then judged against the tolerances asked for, each territory against the target it was
balanced to: the territories outside them are the ones the warning names."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace

import numpy as np

from territorial.optimize import location
from territorial.optimize.balance.problem import Alignment
from territorial.optimize.feasibility import (
    MOVE_BUDGET,
    PIGEONHOLE_DEPTH,
    Infeasible,
    OutOfTime,
    band_shares,
)
from territorial.optimize.graph import adjacency, contiguous
from territorial.optimize.problem import (
    NONE,
    Rules,
    Territories,
    Units,
    cost_weight,
    distances,
    skill_groups,
    targets,
)

RELAX_STEPS = 12  # 5% doubled 12 times is far beyond any unit's share of a territory

Solver = Callable[[Units, Territories, Rules], Alignment]
Alone = list[tuple[int, np.ndarray]]  # a territory and the units it holds alone


def closest(units: Units, territories: Territories, rules: Rules, solve: Solver) -> Alignment:
    """The best-effort alignment: `solve` (the strict balance) on the request relaxed as above."""
    started = time.perf_counter()
    alone = units_alone(units, territories, rules)
    if alone:
        try:
            answer = _with_alone(units, territories, rules, solve, alone, started)
        except Infeasible as error:
            if relaxed(rules, error) is not None:
                raise
            answer = None  # a hard constraint of what is left: lock the units instead (step 3)
        if answer is not None:
            return answer
    return _relaxing(with_oversized_alone(units, territories, rules), territories, rules, solve, started)


def _relaxing(
    units: Units, territories: Territories, rules: Rules, solve: Solver, started: float
) -> Alignment:
    """`solve` with the binding tolerances widened until it answers (step 2)."""
    tried = replace(rules, time_limit=max(0.05, rules.time_limit - (time.perf_counter() - started)))
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


def units_alone(units: Units, territories: Territories, rules: Rules) -> Alone:
    """Step 1: the territories given to units too large for any band, each with its units."""
    names = list(rules.tolerances)
    if not names:
        return []
    amounts = np.column_stack([units.metrics[name] for name in names]).astype(np.float64)
    tolerance = np.array([rules.tolerances[name] for name in names])
    locked, current = units.locked_or_none(), units.current_or_none()
    group, allowed = skill_groups(units, territories)
    has_home = ~np.isnan(territories.home).any(axis=1)
    flat = units.flat()
    rest = np.ones(len(units), dtype=bool)
    free = np.ones(len(territories), dtype=bool)
    alone: Alone = []
    while np.count_nonzero(free) > 1:
        share = territories.capacity * free / territories.capacity[free].sum()
        target = np.outer(share, amounts[rest].sum(axis=0))[free]
        count = int(np.count_nonzero(free))
        members = _too_large(amounts, rest, target, tolerance, count, rules.contiguous, flat)
        if members is None or rest.sum() - members.size < free.sum() - 1:
            break  # what is left relaxes (step 2)
        pinned = locked[members][locked[members] != NONE]
        if pinned.size > 1:
            break  # a group with locked units is not moved; they keep their locks
        left = rest.copy()
        left[members] = False
        options = free & allowed[group[members]].all(axis=0)
        if pinned.size:  # a locked unit stays where it is locked, alone when no other is locked there
            options &= np.arange(len(territories)) == pinned[0]
        # Not a territory the locks of the others hold, nor the last one a skill left needs.
        options &= np.bincount(locked[left & (locked != NONE)], minlength=len(territories)) == 0
        for g in np.unique(group[left]).tolist():
            sole = free & allowed[g]
            if np.count_nonzero(sole) == 1:
                options &= ~sole
        if not options.any():
            break
        j = _territory_for(members, options, current, has_home, territories, units, flat)
        alone.append((j, members))
        rest, free[j] = left, False
    return alone


def _too_large(
    amounts: np.ndarray,
    rest: np.ndarray,
    target: np.ndarray,
    tolerance: np.ndarray,
    k: int,
    contiguous_asked: bool,
    flat: np.ndarray,
) -> np.ndarray | None:
    """The next units to leave alone among `rest` for these `k` territories' `target` (k, m): the
    largest unit over the widest band, else the lightest m + 1 of more than m × k units each over
    1/(m + 1) of it (nearest first among equals), else None."""
    share = np.where(rest[:, None], band_shares(amounts, target, tolerance), 0.0)
    worst = share.max(axis=1)
    if worst.max() > 1 + 1e-9:
        return np.array([int(np.argmax(worst))])
    if contiguous_asked:
        return None  # several units alone together would be in pieces: contiguity is kept
    for m in range(1, PIGEONHOLE_DEPTH + 1):
        for metric in range(amounts.shape[1]):
            heavy = np.flatnonzero(share[:, metric] * (m + 1) > 1 + 1e-9)
            if heavy.size <= m * k:
                continue
            lightest = heavy[np.argmin(share[heavy, metric])]
            gap = flat[heavy] - flat[lightest]
            order = np.lexsort((np.hypot(gap[:, 0], gap[:, 1]), share[heavy, metric]))
            return np.sort(heavy[order[: m + 1]])
    return None


def _territory_for(
    members: np.ndarray,
    options: np.ndarray,
    current: np.ndarray,
    has_home: np.ndarray,
    territories: Territories,
    units: Units,
    flat: np.ndarray,
) -> int:
    """The units' current territory, else the nearest home, else the largest capacity."""
    mine = current[members]
    held = [int(j) for j in mine if j != NONE and options[j]]
    if held:
        return held[0]
    if (options & has_home).any():
        homes = np.flatnonzero(options & has_home)
        gap = units.flat(territories.home[homes]) - flat[members].mean(axis=0)
        return int(homes[np.argmin(np.hypot(gap[:, 0], gap[:, 1]))])
    free = np.flatnonzero(options)
    return int(free[np.argmax(territories.capacity[free])])


def _with_alone(
    units: Units, territories: Territories, rules: Rules, solve: Solver, alone: Alone, started: float
) -> Alignment | None:
    """Steps 1 and 2: the others balanced on their own, joined with the units alone; None when the
    moves the units alone cost are more than the budget allows."""
    n, k = len(units), len(territories)
    labels = np.full(n, NONE, dtype=np.int64)
    for j, members in alone:
        labels[members] = j
    rows = np.flatnonzero(labels == NONE)
    kept = np.setdiff1d(np.arange(k), [j for j, _ in alone])
    current = units.current_or_none()
    # Moves the units alone force: theirs, and those of the others whose territory they took.
    forced = int(np.count_nonzero((current != NONE) & (labels != NONE) & (current != labels)))
    forced += int(np.count_nonzero(np.isin(current[rows], [j for j, _ in alone])))
    movable = int(np.count_nonzero(current != NONE))
    sub_units = _subset(units, rows, kept, k)
    sub_movable = int(np.count_nonzero(sub_units.current_or_none() != NONE))
    max_moves = rules.max_moves
    if max_moves is not None and movable:
        budget = int(np.floor(max_moves * movable + 1e-9)) - forced
        if budget < 0:
            return None
        max_moves = min(1.0, budget / sub_movable) if sub_movable else None
    sub_territories = territories.subset(kept)
    left = max(0.05, rules.time_limit - (time.perf_counter() - started))
    sub_rules = replace(rules, max_moves=max_moves, time_limit=left)
    # A unit step 1 could not leave alone (its options all taken) is still held in a territory.
    sub_units = with_oversized_alone(sub_units, sub_territories, sub_rules)
    sub = _relaxing(sub_units, sub_territories, sub_rules, solve, time.perf_counter())
    labels[rows] = kept[sub.territory]
    return _joined(units, territories, rules, sub, labels, kept, alone, forced, started)


def _subset(units: Units, rows: np.ndarray, kept: np.ndarray, k: int) -> Units:
    """The units `rows`, with their current and locked territories renumbered over `kept` (NONE
    where theirs is not kept) and the edges between them."""
    renumber = np.full(k, NONE, dtype=np.int64)
    renumber[kept] = np.arange(kept.size)

    def over_kept(column: np.ndarray | None) -> np.ndarray | None:
        return None if column is None else np.where(column[rows] == NONE, NONE, renumber[column[rows]])

    edges = None
    if units.edges is not None:
        index = np.full(len(units), NONE, dtype=np.int64)
        index[rows] = np.arange(rows.size)
        pairs = index[np.asarray(units.edges, dtype=np.int64).reshape(-1, 2)]
        edges = pairs[(pairs != NONE).all(axis=1)]
    return replace(
        units,
        ids=[units.ids[i] for i in rows],
        xy=units.xy[rows],
        metrics={name: values[rows] for name, values in units.metrics.items()},
        edges=edges,
        skills=None if units.skills is None else [units.skills[i] for i in rows],
        current=over_kept(units.current),
        locked=over_kept(units.locked),
        zone=None if units.zone is None else units.zone[rows],
    )


def _joined(
    units: Units,
    territories: Territories,
    rules: Rules,
    sub: Alignment,
    labels: np.ndarray,
    kept: np.ndarray,
    alone: Alone,
    forced: int,
    started: float,
) -> Alignment:
    """The whole alignment: the others as `sub` balanced them (on their own targets), the
    territories alone judged against an even share of everything."""
    k = len(territories)
    names, even = targets(units, territories)
    totals = np.column_stack(
        [np.bincount(labels, weights=units.metrics[name], minlength=k) for name in names]
    )
    target = even.copy()
    target[kept] = sub.targets
    weight = cost_weight(units, rules)
    pinned = np.concatenate([members for _, members in alone])
    centres = np.zeros((k, 2))
    centres[kept] = sub.centres
    centres = location.centres(units.xy, units.geographic, pinned, labels[pinned], weight[pinned], centres)
    homes = ~np.isnan(territories.home).any(axis=1)
    centres[homes] = territories.home[homes]
    distance = distances(units, pinned, centres, labels[pinned])
    mass = np.bincount(labels[pinned], weights=weight[pinned], minlength=k)
    spread = np.bincount(labels[pinned], weights=weight[pinned] * distance, minlength=k)
    compactness = np.zeros(k)
    compactness[kept] = sub.compactness
    lone = np.setdiff1d(np.arange(k), kept)
    compactness[lone] = spread[lone] / np.where(mass[lone] > 0, mass[lone], 1.0)
    connected = np.ones(k, dtype=bool)
    connected[kept] = sub.contiguous
    if any(members.size > 1 for _, members in alone):
        connected[lone] = contiguous(adjacency(units), labels, k)[lone]
    added = float(np.sum(weight[pinned] * distance)) + (rules.move_penalty or 0.0) * forced
    current = units.current_or_none()
    moved = (current != NONE) & (labels != current)
    whole = Alignment(
        territory=labels,
        moved=moved,
        centres=centres,
        metrics=names,
        totals=totals,
        targets=target,
        tolerances=dict(rules.tolerances),
        within=np.zeros(k, dtype=bool),
        contiguous=connected,
        compactness=compactness,
        cost=sub.cost + added,
        bound=sub.bound + added,
        moves=int(np.count_nonzero(moved)),
        movable=int(np.count_nonzero(current != NONE)),
        min_moves=None if sub.min_moves is None else sub.min_moves + forced,
        seconds=time.perf_counter() - started,
        min_moves_whole=None if sub.min_moves_whole is None else sub.min_moves_whole + forced,
        time_limit_hit=sub.time_limit_hit,
        alone=tuple((j, tuple(int(i) for i in members)) for j, members in alone),
    )
    return judged_against(whole, rules.tolerances)


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
