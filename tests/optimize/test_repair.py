"""The boundary search's one-move check against its vectorised form."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from territorial.optimize.problem import NONE, Units
from territorial.optimize.repair import TIE, Board, _balance_delta, _deltas, _improves, _improves_one


def board_of(seed: int, metrics: int) -> Board:
    rng = np.random.default_rng(seed)
    n, k = 40, 5
    labels = rng.integers(0, k, n)
    units = Units([str(i) for i in range(n)], rng.random((n, 2)), False, {"w": np.ones(n)})
    target = rng.uniform(0.5, 1.5, (k, metrics))
    target[rng.integers(0, k)] = 0.0  # a territory without a target scales by 1
    return Board(
        labels=labels,
        amounts=rng.random((n, metrics)) / 8,
        target=target,
        tolerance=rng.uniform(0.01, 0.1, metrics),
        aim=rng.uniform(0.0, 0.05, metrics),
        weight=np.ones(n),
        units=units,
        centres=rng.random((k, 2)),
        group=np.zeros(n, dtype=np.int64),
        allowed=np.ones((1, k), dtype=bool),
        locked=np.full(n, NONE),
        current=np.full(n, NONE),
        max_moved=None,
        move_penalty=0.0,
        contiguous=False,
    )


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10_000), metrics=st.integers(1, 3))
def test_one_move_check_matches_the_vectorised_balance_terms_exactly(seed: int, metrics: int) -> None:
    board = board_of(seed, metrics)
    k = board.target.shape[0]
    for unit in range(0, 40, 3):
        src = int(board.labels[unit])
        for dst in range(k):
            if dst == src:
                continue
            outside, aim, _cost = _deltas(board, np.array([unit]), np.array([src]), np.array([dst]))
            assert _balance_delta(board, unit, src, dst) == (float(outside[0]), float(aim[0]))


NEAR_TIE = st.sampled_from([0.0, TIE, -TIE, 2 * TIE, -2 * TIE, 0.5 * TIE, -0.5 * TIE, 1.0, -1.0])


@given(outside=NEAR_TIE, aim=NEAR_TIE, cost=NEAR_TIE)
def test_one_move_verdict_matches_the_vectorised_one(outside: float, aim: float, cost: float) -> None:
    expected = bool(_improves(np.array([outside]), np.array([aim]), np.array([cost]))[0])
    assert _improves_one(outside, aim, cost) is expected
