"""Large account sets in two levels: accounts grouped into units (their ZIP or a micro-cluster, cut
so no unit is too heavy; key accounts on their own), the units balanced, then a last pass that
re-balances at account level inside the units on territory borders."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from territorial.optimize import location
from territorial.optimize.keys import distinct
from territorial.optimize.problem import NONE, Rules, Territories, Units, distances, skill_groups, targets

TWO_LEVEL_FROM = 200_000  # accounts from which they are grouped into units first
# No unit carries more than this share of a territory's target of a balanced metric: units are
# cut finer than the tolerance bands, so whole units can meet them.
UNIT_SHARE = 0.1
KEY_ACCOUNT_SHARE = 0.02  # an account alone this large is a key account: its own unit
CELL_ACCOUNTS = 40  # without zones, micro-clusters of about this many accounts
ACCOUNT_STEPS = 500  # single-account moves at most per territory in the last pass


@dataclass(frozen=True)
class Grouping:
    """Accounts grouped into units: `unit_of[a]` is account a's unit; `offset[a]` is how far
    account a lies from its unit's point (for the bound)."""

    unit_of: np.ndarray
    units: Units
    offset: np.ndarray


def applies(units: Units) -> bool:
    """Many accounts, placed by points (no given adjacency): group them first."""
    return len(units) >= TWO_LEVEL_FROM and units.edges is None


def group_accounts(accounts: Units, territories: Territories, rules: Rules) -> Grouping:
    """Units of accounts that share a zone (or a micro-cluster), their skills, current territory
    and lock, so every account of a unit may go wherever the unit goes. Heavy groups are cut
    along their main axis; key accounts stand alone."""
    n = len(accounts)
    names, all_targets = targets(accounts, territories)
    balanced = [names.index(name) for name in rules.tolerances]
    cap = UNIT_SHARE * all_targets[:, balanced].mean(axis=0)
    key_cap = KEY_ACCOUNT_SHARE * all_targets[:, balanced].mean(axis=0)
    amounts = np.column_stack([accounts.metrics[names[c]] for c in balanced])
    flat = accounts.flat()
    zone = _zones(accounts, flat)
    group, _allowed = skill_groups(accounts, territories)
    key_account = np.any(amounts > key_cap, axis=1)
    columns = [
        zone,
        group,
        accounts.current_or_none(),
        accounts.locked_or_none(),
        np.where(key_account, np.arange(n), -1),
    ]
    _keys, first_of = np.unique(np.column_stack(columns), axis=0, return_inverse=True)
    unit_of = _cut_heavy(first_of.ravel(), flat, amounts, cap)
    return _units_of(accounts, unit_of)


def _zones(accounts: Units, flat: np.ndarray) -> np.ndarray:
    """Each account's zone as an integer: the given zone (ZIP), else a micro-cluster of about
    CELL_ACCOUNTS accounts from a balanced bisection of the points."""
    if accounts.zone is not None:
        _codes, zone = np.unique(np.asarray(accounts.zone), return_inverse=True)
        return np.asarray(zone.ravel(), dtype=np.int64)
    cells = max(1, len(accounts) // CELL_ACCOUNTS)
    return location.balanced_bisection(flat, np.ones(len(accounts)), np.ones(cells))


def _cut_heavy(unit_of: np.ndarray, flat: np.ndarray, amounts: np.ndarray, cap: np.ndarray) -> np.ndarray:
    """Cut every unit heavier than `cap` (any metric) into pieces along its main axis."""
    count = int(unit_of.max()) + 1 if unit_of.size else 0
    sums = np.column_stack(
        [np.bincount(unit_of, weights=amounts[:, c], minlength=count) for c in range(cap.size)]
    )
    pieces = np.ceil((sums / np.where(cap > 0, cap, np.inf)).max(axis=1)).astype(np.int64)
    heavy = np.flatnonzero(pieces > 1)
    if heavy.size == 0:
        return unit_of
    result = unit_of.copy()
    order = np.argsort(unit_of, kind="stable")
    starts = np.searchsorted(unit_of[order], np.arange(count + 1))
    next_id = count
    combined = (amounts / np.where(cap > 0, cap, 1.0)).sum(axis=1) + 1e-12
    for unit in heavy.tolist():
        members = order[starts[unit] : starts[unit + 1]]
        split = location.balanced_bisection(flat[members], combined[members], np.ones(int(pieces[unit])))
        result[members] = np.where(split == 0, unit, next_id + split - 1)
        next_id += int(pieces[unit]) - 1
    _ids, compact = np.unique(result, return_inverse=True)
    return np.asarray(compact.ravel(), dtype=np.int64)


def _units_of(accounts: Units, unit_of: np.ndarray) -> Grouping:
    count = int(unit_of.max()) + 1
    weight = np.bincount(unit_of, minlength=count).astype(np.float64)
    sums = [np.bincount(unit_of, weights=accounts.xy[:, c], minlength=count) for c in range(2)]
    xy = np.column_stack(sums) / weight[:, None]
    metrics = {name: np.bincount(unit_of, weights=v, minlength=count) for name, v in accounts.metrics.items()}
    first = np.full(count, -1, dtype=np.int64)
    first[unit_of[::-1]] = np.arange(unit_of.size)[::-1]
    current = accounts.current[first] if accounts.current is not None else None
    locked = accounts.locked[first] if accounts.locked is not None else None
    skills = [accounts.skills[a] for a in first.tolist()] if accounts.skills is not None else None
    rows = np.arange(unit_of.size)
    offset = distances(Units([], xy, accounts.geographic, {}), unit_of, accounts.xy, rows)
    units = Units(
        ids=[accounts.ids[a] for a in first.tolist()],
        xy=xy,
        geographic=accounts.geographic,
        metrics=metrics,
        skills=skills,
        current=current,
        locked=locked,
        noun="unit",
        source=accounts.source,
    )
    return Grouping(unit_of, units, offset)


def settle_accounts(
    grouping: Grouping,
    accounts: Units,
    unit_labels: np.ndarray,
    adj: sp.csr_array,
    bands: tuple[np.ndarray, np.ndarray],
    amounts: np.ndarray,
) -> np.ndarray:
    """Account labels from the units', then, for territories outside their band, move single
    accounts of units on a border to the neighbouring territory (never a unit's last account in
    its territory, so both stay in one piece). `amounts` (n, m) and the bands (k, m) share a scale."""
    lower, upper = bands
    labels: np.ndarray = unit_labels[grouping.unit_of].copy()
    k, m = lower.shape
    sums = np.column_stack([np.bincount(labels, weights=amounts[:, c], minlength=k) for c in range(m)])
    outside = np.flatnonzero(np.any((sums < lower) | (sums > upper), axis=1))
    if outside.size == 0:
        return labels
    order = np.argsort(grouping.unit_of, kind="stable")
    starts = np.searchsorted(grouping.unit_of[order], np.arange(len(grouping.units) + 1))
    free = accounts.locked_or_none() == NONE
    coo = adj.tocoo()
    edge_a, edge_b = np.asarray(coo.row), np.asarray(coo.col)
    target = (lower + upper) / 2
    for j in outside.tolist():
        for _step in range(ACCOUNT_STEPS):
            over, under = bool(np.any(sums[j] > upper[j])), bool(np.any(sums[j] < lower[j]))
            if not (over or under):
                break
            # Over-full: an account of j in a border unit goes across; short: one comes in.
            if over:
                border = (unit_labels[edge_a] == j) & (unit_labels[edge_b] != j)
                pairs = np.unique(np.column_stack([edge_a[border], unit_labels[edge_b[border]]]), axis=0)
            else:
                border = (unit_labels[edge_a] == j) & (unit_labels[edge_b] != j)
                pairs = np.unique(np.column_stack([edge_b[border], np.full(int(border.sum()), j)]), axis=0)
            if pairs.size == 0:
                break
            members = np.concatenate(
                [order[starts[u] : starts[u + 1]] for u in distinct(pairs[:, 0]).tolist()]
            )
            src_of = np.full(members.size, j) if over else labels[members]
            mine = free[members] & (labels[members] == src_of) & (src_of != (-1 if over else j))
            members, src_of = members[mine], src_of[mine]
            # Keep at least one account of each unit in its territory.
            key = grouping.unit_of[members] * k + src_of
            _ids, inverse, counts = np.unique(key, return_inverse=True, return_counts=True)
            keep = counts[inverse.ravel()] > 1
            members, src_of = members[keep], src_of[keep]
            if members.size == 0:
                break
            row = np.searchsorted(pairs[:, 0], grouping.unit_of[members], side="left")
            last = np.searchsorted(pairs[:, 0], grouping.unit_of[members], side="right")
            reps = last - row
            account = np.repeat(members, reps)
            src = np.repeat(src_of, reps)
            offsets = np.arange(int(reps.sum())) - np.repeat(np.cumsum(reps) - reps, reps)
            dst = pairs[np.repeat(row, reps) + offsets, 1]
            valid = src != dst
            account, src, dst = account[valid], src[valid], dst[valid]
            after_src = sums[src] - amounts[account]
            after_dst = sums[dst] + amounts[account]
            other, other_after = (dst, after_dst) if over else (src, after_src)
            ok = np.all((other_after <= upper[other]) & (other_after >= lower[other]), axis=1)
            mine_after = after_src if over else after_dst
            score = np.abs(mine_after - target[j]).sum(axis=1)
            score[~ok] = np.inf
            if account.size == 0 or not np.isfinite(score.min()):
                break
            best = int(np.argmin(score))
            if score[best] >= np.abs(sums[j] - target[j]).sum():
                break
            a, s, d = int(account[best]), int(src[best]), int(dst[best])
            labels[a] = d
            sums[s] -= amounts[a]
            sums[d] += amounts[a]
    return labels


def contiguous_accounts(adj: sp.csr_array, unit_of: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    """(k,) True where the units a territory has accounts in form one piece over the unit
    adjacency (a unit shared by two territories counts for both)."""
    count = adj.shape[0]
    pairs = distinct(unit_of.astype(np.int64) * k + labels)
    unit, terr = pairs // k, pairs % k
    coo = adj.tocoo()
    a, b = np.asarray(coo.row), np.asarray(coo.col)
    # Expand each unit edge by the territories present in its first unit, keep those in both.
    order = np.argsort(unit, kind="stable")
    starts = np.searchsorted(unit[order], np.arange(count + 1))
    reps = starts[a + 1] - starts[a]
    first = np.repeat(starts[a], reps) + (
        np.arange(int(reps.sum())) - np.repeat(np.cumsum(reps) - reps, reps)
    )
    src_node = order[first]
    t = terr[src_node]
    other = np.repeat(b, reps) * k + t
    where = np.searchsorted(pairs, other)
    where = np.minimum(where, pairs.size - 1)
    both = pairs[where] == other
    graph = sp.csr_array(
        (np.ones(int(both.sum())), (src_node[both], where[both])), shape=(pairs.size, pairs.size)
    )
    _n, component = connected_components(graph, directed=False)
    pieces = np.zeros(k, dtype=np.int64)
    seen = np.unique(np.column_stack([terr, component]), axis=0)
    np.add.at(pieces, seen[:, 0], 1)
    return np.asarray(pieces <= 1)
