"""fewest_moves: the fewest single moves that bring every territory inside its band, within the
time it is given for the whole call (each of its MILPs used to get all of it)."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from territorial.optimize.allocate import Bands
from territorial.optimize.rebalance import Options, boundary_options, fewest_moves


def _line(n: int) -> sp.csr_array:
    rows = np.arange(n - 1)
    pairs = sp.coo_array((np.ones(n - 1), (rows, rows + 1)), shape=(n, n))
    return (pairs + pairs.T).tocsr()


def _request() -> tuple[np.ndarray, np.ndarray, Bands, Options, sp.csr_array]:
    # Six units on a line, four in territory 0 and two in territory 1: one move balances them.
    labels = np.array([0, 0, 0, 0, 1, 1])
    amounts = np.ones((6, 1))
    bands = Bands(amounts, np.full((2, 1), 3.0), np.full((2, 1), 3.0))
    adj = _line(6)
    options = boundary_options(
        labels,
        labels,
        lambda unit, terr: np.abs(unit - 3.5 * terr).astype(np.float64),
        adj,
        lambda unit, terr: np.ones(unit.size, dtype=bool),
        True,
        np.zeros(0, dtype=np.int64),
        np.zeros(0, dtype=np.int64),
    )
    return labels, amounts, bands, options, adj


def test_one_move_balances_the_line() -> None:
    labels, amounts, bands, options, adj = _request()
    result = fewest_moves(labels, labels, amounts, bands, options, adj, True, None, 10.0, 0)
    assert result is not None and result.moves == 1
    assert np.bincount(result.labels, minlength=2).tolist() == [3, 3]


def test_no_time_left_means_no_answer_rather_than_an_overrun() -> None:
    labels, amounts, bands, options, adj = _request()
    assert fewest_moves(labels, labels, amounts, bands, options, adj, True, None, 0.0, 0) is None
