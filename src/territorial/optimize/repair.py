"""Contiguity repair and local search: move boundary units between neighbouring territories to
restore balance and compactness while every territory stays in one piece."""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from territorial.optimize.graph import territory_components
from territorial.optimize.keys import distinct
from territorial.optimize.problem import NONE, Units, distances

TIE = 1e-12  # changes smaller than this are no change


@dataclass
class Board:
    """The search state and everything a move must respect."""

    labels: np.ndarray
    amounts: np.ndarray  # (n, m) balanced metrics, scaled so targets are near 1
    target: np.ndarray  # (k, m)
    tolerance: np.ndarray  # (m,) requested
    aim: np.ndarray  # (m,) aimed-for (tighter)
    weight: np.ndarray  # (n,) compactness weight
    units: Units
    centres: np.ndarray  # (k, 2) in the units' coordinates
    group: np.ndarray
    allowed: np.ndarray  # (groups, k)
    locked: np.ndarray
    current: np.ndarray
    max_moved: int | None  # most units that may leave their current territory
    move_penalty: float  # cost of one move, as in the transport LP
    contiguous: bool

    def __post_init__(self) -> None:
        k = self.target.shape[0]
        self.sums = np.zeros_like(self.target)
        for metric in range(self.amounts.shape[1]):
            self.sums[:, metric] = np.bincount(self.labels, weights=self.amounts[:, metric], minlength=k)
        self.moved = int(np.count_nonzero((self.current != NONE) & (self.labels != self.current)))

    def penalties(self, sums: np.ndarray, terr: np.ndarray | int) -> tuple[np.ndarray, np.ndarray]:
        """Balance penalties of territories `terr` if their sums were `sums`: squared excess
        beyond the requested tolerance, and beyond the aim (relative to target)."""
        target = self.target[terr]
        off = np.abs(sums - target)
        scale = np.where(target > 0, target, 1.0)
        outside = np.maximum(off - self.tolerance * target, 0.0) / scale
        beyond_aim = np.maximum(off - self.aim * target, 0.0) / scale
        return np.sum(outside**2, axis=-1), np.sum(beyond_aim**2, axis=-1)

    def moves_delta(self, unit: np.ndarray, dst: np.ndarray) -> np.ndarray:
        """How the number of moved units changes if `unit` goes to `dst`."""
        cur = self.current[unit]
        has = cur != NONE
        delta: np.ndarray = has * (
            (dst != cur).astype(np.int64) - (self.labels[unit] != cur).astype(np.int64)
        )
        return delta

    def apply(self, unit: int, dst: int) -> None:
        src = self.labels[unit]
        self.moved += int(self.moves_delta(np.array([unit]), np.array([dst]))[0])
        self.sums[src] -= self.amounts[unit]
        self.sums[dst] += self.amounts[unit]
        self.labels[unit] = dst


def repair_and_improve(board: Board, adj: sp.csr_array, deadline: float, max_rounds: int = 200) -> np.ndarray:
    """Make every territory connected (when asked), then descend on (balance penalty, cost) by
    single boundary moves until nothing improves or time runs out. Returns the labels."""
    neighbours = _lists(adj)
    if board.contiguous:
        _reattach_fragments(board, adj)
    coo = adj.tocoo()
    src_edge, dst_edge = np.asarray(coo.row), np.asarray(coo.col)
    for _round in range(max_rounds):
        if time.perf_counter() > deadline:
            break
        if not _descend(board, neighbours, src_edge, dst_edge, deadline) and not _swap(
            board, neighbours, src_edge, dst_edge
        ):
            break
    return board.labels


def _swap(board: Board, neighbours: list[list[int]], src_edge: np.ndarray, dst_edge: np.ndarray) -> bool:
    """Exchanges across one border, for territories outside tolerance that no single move helps:
    with several metrics, what one unit brings in good it often brings in bad too."""
    labels = board.labels
    k = board.target.shape[0]
    outside, _aim = board.penalties(board.sums, np.arange(k))
    changed = False
    for j in np.flatnonzero(outside > TIE).tolist():
        crossing = (labels[src_edge] == j) & (labels[dst_edge] != j)
        pairs = distinct(src_edge[crossing] * k + labels[dst_edge[crossing]])
        for d in distinct(pairs % k).tolist():
            outs = pairs[pairs % k == d] // k
            into = distinct(src_edge[(labels[src_edge] == d) & (labels[dst_edge] == j)])
            outs = outs[board.locked[outs] == NONE]
            into = into[board.locked[into] == NONE]
            outs = outs[board.allowed[board.group[outs], d]]
            into = into[board.allowed[board.group[into], j]]
            if outs.size == 0 or into.size == 0:
                continue
            if _best_swap(board, neighbours, j, d, outs, into):
                changed = True
                break
    return changed


def _best_swap(
    board: Board, neighbours: list[list[int]], j: int, d: int, outs: np.ndarray, into: np.ndarray
) -> bool:
    """Apply the best improving exchange of a unit of j (to d) against a unit of d (to j)."""
    u = np.repeat(outs, into.size)
    v = np.tile(into, outs.size)
    change = board.amounts[v] - board.amounts[u]  # what j gains, d loses
    before_out = board.penalties(board.sums[j], j)[0] + board.penalties(board.sums[d], d)[0]
    before_aim = board.penalties(board.sums[j], j)[1] + board.penalties(board.sums[d], d)[1]
    out_j, aim_j = board.penalties(board.sums[j] + change, j)
    out_d, aim_d = board.penalties(board.sums[d] - change, d)
    outside = out_j + out_d - before_out
    aim = aim_j + aim_d - before_aim
    improving = np.flatnonzero(outside < -TIE)
    if board.max_moved is not None:
        extra = board.moves_delta(u, np.full(u.size, d)) + board.moves_delta(v, np.full(v.size, j))
        improving = improving[board.moved + extra[improving] <= board.max_moved]
    for idx in improving[np.lexsort((aim[improving], outside[improving]))][:50].tolist():
        a, b = int(u[idx]), int(v[idx])
        if board.contiguous and not may_leave(a, j, d, board.labels, neighbours):
            continue
        board.apply(a, d)
        if board.contiguous and not may_leave(b, d, j, board.labels, neighbours):
            board.apply(a, j)
            continue
        board.apply(b, j)
        return True
    return False


def _lists(adj: sp.csr_array) -> list[list[int]]:
    indptr, indices = adj.indptr, adj.indices
    flat = indices.tolist()
    return [flat[indptr[i] : indptr[i + 1]] for i in range(adj.shape[0])]


def _descend(
    board: Board,
    neighbours: list[list[int]],
    src_edge: np.ndarray,
    dst_edge: np.ndarray,
    deadline: float,
) -> bool:
    """One pass: rank every boundary move by its gain, then apply the ones still improving."""
    labels = board.labels
    crossing = labels[src_edge] != labels[dst_edge]
    unit = src_edge[crossing]
    dst = labels[dst_edge[crossing]]
    free = board.locked[unit] == NONE
    unit, dst = unit[free], dst[free]
    ok = board.allowed[board.group[unit], dst]
    unit, dst = unit[ok], dst[ok]
    if unit.size == 0:
        return False
    key = distinct(unit * board.target.shape[0] + dst)
    k = board.target.shape[0]
    unit, dst = key // k, key % k
    src = labels[unit]
    outside, aim, cost = _deltas(board, unit, src, dst)
    order = np.lexsort((unit, cost, aim, outside))
    order = order[_improves(outside, aim, cost)[order]]
    changed = False
    touched = np.zeros(labels.size, dtype=bool)
    for idx in order.tolist():
        if time.perf_counter() > deadline:
            break
        u, d = int(unit[idx]), int(dst[idx])
        s = int(labels[u])
        if s == d or touched[u]:
            continue
        # An untouched unit is still in `src` and the centres have not moved: its cost change
        # stands; only the balance terms depend on the moves made since.
        if not _improves_one(*_balance_delta(board, u, s, d), float(cost[idx])):
            continue
        if board.max_moved is not None:
            extra = int(board.moves_delta(np.array([u]), np.array([d]))[0])
            if extra > 0 and board.moved + extra > board.max_moved:
                continue
        if board.contiguous and not may_leave(u, s, d, labels, neighbours):
            continue
        board.apply(u, d)
        touched[u] = True
        changed = True
    return changed


def _deltas(
    board: Board, unit: np.ndarray, src: np.ndarray, dst: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each move: the change of the excess beyond tolerance, beyond the aim, and of cost."""
    amount = board.amounts[unit]
    out_src, aim_src = board.penalties(board.sums[src], src)
    out_dst, aim_dst = board.penalties(board.sums[dst], dst)
    out_src2, aim_src2 = board.penalties(board.sums[src] - amount, src)
    out_dst2, aim_dst2 = board.penalties(board.sums[dst] + amount, dst)
    centres = board.centres
    cost = board.weight[unit] * (
        distances(board.units, unit, centres, dst) - distances(board.units, unit, centres, src)
    )
    if board.move_penalty:
        cost = cost + board.move_penalty * board.moves_delta(unit, dst)
    return out_src2 + out_dst2 - out_src - out_dst, aim_src2 + aim_dst2 - aim_src - aim_dst, cost


def _balance_delta(board: Board, unit: int, src: int, dst: int) -> tuple[float, float]:
    """`_deltas`' balance terms for one move, in plain floats: the same arithmetic in the same
    order, without the cost of numpy calls on arrays of a few metrics (the search makes one
    such check per candidate move: 10,000 on the 30,000-account benchmark). Bit for bit the same
    below 8 metrics, where numpy also sums left to right (from 8 it sums pairwise)."""
    amount = board.amounts[unit].tolist()
    src_sums, dst_sums = board.sums[src].tolist(), board.sums[dst].tolist()
    src_target, dst_target = board.target[src].tolist(), board.target[dst].tolist()
    tolerance, aim = board.tolerance.tolist(), board.aim.tolist()
    out_src = aim_src = out_dst = aim_dst = out_src2 = aim_src2 = out_dst2 = aim_dst2 = 0.0
    for m, a in enumerate(amount):
        ts, td = src_target[m], dst_target[m]
        o, b = _excess(src_sums[m], ts, tolerance[m], aim[m])
        out_src, aim_src = out_src + o, aim_src + b
        o, b = _excess(dst_sums[m], td, tolerance[m], aim[m])
        out_dst, aim_dst = out_dst + o, aim_dst + b
        o, b = _excess(src_sums[m] - a, ts, tolerance[m], aim[m])
        out_src2, aim_src2 = out_src2 + o, aim_src2 + b
        o, b = _excess(dst_sums[m] + a, td, tolerance[m], aim[m])
        out_dst2, aim_dst2 = out_dst2 + o, aim_dst2 + b
    return out_src2 + out_dst2 - out_src - out_dst, aim_src2 + aim_dst2 - aim_src - aim_dst


def _excess(total: float, target: float, tolerance: float, aim: float) -> tuple[float, float]:
    """One metric's term of `Board.penalties`."""
    off = abs(total - target)
    scale = target if target > 0 else 1.0
    outside = max(off - tolerance * target, 0.0) / scale
    beyond_aim = max(off - aim * target, 0.0) / scale
    return outside * outside, beyond_aim * beyond_aim  # numpy squares by multiplying


def _improves_one(outside: float, aim: float, cost: float) -> bool:
    """`_improves` for one move."""
    flat = abs(outside) <= TIE
    return outside < -TIE or (flat and aim < -TIE) or (flat and abs(aim) <= TIE and cost < -TIE)


def _improves(outside: np.ndarray, aim: np.ndarray, cost: np.ndarray) -> np.ndarray:
    """Lexicographic: less excess beyond tolerance; else no more of it and less beyond the aim;
    else neither worse and a lower cost. A move never takes a territory out of tolerance for
    the sake of the aim or of compactness."""
    flat = np.abs(outside) <= TIE
    return np.asarray(
        (outside < -TIE) | (flat & (aim < -TIE)) | (flat & (np.abs(aim) <= TIE) & (cost < -TIE))
    )


def may_leave(
    unit: int, src: int, dst: int, labels: np.ndarray, neighbours: list[list[int]], touch: bool = True
) -> bool:
    """Moving `unit` from `src` to `dst` keeps both connected: it touches `dst` (unless `touch` is
    False), and its `src` neighbours still reach each other without it (searched within `src`)."""
    mine = [v for v in neighbours[unit] if labels[v] == src]
    if touch and not any(labels[v] == dst for v in neighbours[unit]):
        return False
    if len(mine) <= 1:  # a leaf, or a piece on its own: src loses nothing that held it together
        return True
    wanted = set(mine[1:])
    seen = {unit, mine[0]}
    queue = deque([mine[0]])
    while queue:
        v = queue.popleft()
        for w in neighbours[v]:
            if w not in seen and labels[w] == src:
                if w in wanted:
                    wanted.discard(w)
                    if not wanted:
                        return True
                seen.add(w)
                queue.append(w)
    return False


def _reattach_fragments(board: Board, adj: sp.csr_array) -> None:
    """Give every detached piece of a territory to the neighbouring territory it shares most
    edges with (one that may take all of it), until each territory is one piece."""
    k = board.target.shape[0]
    for _attempt in range(20):
        component = territory_components(adj, board.labels)
        fragments = _fragments(board, component)
        if not fragments:
            return
        progressed = False
        coo = adj.tocoo()
        for piece in fragments:
            inside = np.zeros(board.labels.size, dtype=bool)
            inside[piece] = True
            leaving = inside[coo.row] & ~inside[coo.col]
            options = board.labels[coo.col[leaving]]
            if options.size == 0 or np.any(board.locked[piece] != NONE):
                continue
            counts = np.bincount(options, minlength=k)
            for dst in np.argsort(-counts, kind="stable"):
                if counts[dst] == 0:
                    break
                if not np.all(board.allowed[board.group[piece], dst]):
                    continue
                extra = int(board.moves_delta(piece, np.full(piece.size, dst)).sum())
                if board.max_moved is not None and extra > 0 and board.moved + extra > board.max_moved:
                    continue
                for u in piece.tolist():
                    board.apply(u, int(dst))
                progressed = True
                break
        if not progressed:
            return


def _fragments(board: Board, component: np.ndarray) -> list[np.ndarray]:
    """The pieces of each territory other than its heaviest one."""
    count = int(component.max()) + 1 if component.size else 0
    terr_of = np.zeros(count, dtype=np.int64)
    terr_of[component] = board.labels
    mass = np.bincount(component, weights=board.weight, minlength=count)
    # The heaviest piece of each territory stays; ties go to the lowest piece id.
    order = np.lexsort((np.arange(count), -mass, terr_of))
    first = np.ones(count, dtype=bool)
    first[1:] = terr_of[order[1:]] != terr_of[order[:-1]]
    detached = np.zeros(count, dtype=bool)
    detached[order[~first]] = True
    if not detached.any():
        return []
    units = np.flatnonzero(detached[component])
    units = units[np.argsort(component[units], kind="stable")]
    _ids, starts = np.unique(component[units], return_index=True)
    return [np.asarray(piece) for piece in np.split(units, starts[1:])]
