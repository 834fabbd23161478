"""Sharing a territory's accounts among its pool of reps.

An account keeps its current owner when that owner is in the pool. The rest go, in account_id
order, one by one to the pool rep with the least workload so far (kept accounts included),
ties going to the rep listed first.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import IntEnum

import numpy as np
import polars as pl


class RepChoice(IntEnum):
    VACANT = 0  # the territory has no reps
    ONLY_REP = 1
    KEPT_OWNER = 2  # current owner is in the pool
    LEAST_LOADED = 3  # shared out to the least-loaded pool rep
    UNASSIGNED = 4  # no territory
    PINNED = 5  # a hold or an override names the rep


def choose_reps(
    territory: np.ndarray,
    rows: np.ndarray,
    id_rank: np.ndarray,
    owners: pl.Series | None,
    workload: np.ndarray,
    reps: Sequence[tuple[str, ...]],
    pinned: pl.Series | None = None,
    carried: Sequence[Mapping[str, float]] = (),
) -> tuple[pl.Series, np.ndarray]:
    """The rep of each row, and how it was chosen.

    `territory` holds each entry's winning territory index (-1 for none), `rows` its account's row
    and `owners` its owner; `id_rank` (each account's position in account_id order) and `workload`
    are per account. `pinned` names the rep a hold or an override gives an entry (else null): it
    is that rep, and counts toward the rep's load when the rep is in the territory's pool.
    `carried` (per territory index, rep -> workload; empty: nothing) is what each pool rep already
    holds from accounts that are not among the rows: they are placed and keep their rep, so only
    their load matters to the waiting rows (an import re-evaluates only the accounts it changed).
    """
    how = np.full(territory.size, RepChoice.UNASSIGNED, np.int8)
    sizes = np.array([len(r) for r in reps] + [0], np.int64)[territory]  # -1 indexes the sentinel 0
    assigned = territory >= 0
    how[assigned & (sizes == 0)] = RepChoice.VACANT
    how[assigned & (sizes == 1)] = RepChoice.ONLY_REP
    only_rep = pl.Series([r[0] if len(r) == 1 else None for r in reps] + [None], dtype=pl.String)
    chosen = only_rep.gather(np.where(territory >= 0, territory, len(reps)))
    pooled = np.flatnonzero(assigned & (sizes > 1))
    if pooled.size:
        picks = _share_pools(
            pooled, territory, rows[pooled], id_rank, owners, workload, reps, how, pinned, carried
        )
        chosen = chosen.scatter(pooled, pl.Series(picks, dtype=pl.String))
    if pinned is not None:
        is_pinned = pinned.is_not_null()
        chosen = pinned.zip_with(is_pinned, chosen)
        how[is_pinned.to_numpy()] = RepChoice.PINNED
    return chosen.alias("rep_id"), how


def _share_pools(
    pooled: np.ndarray,
    territory: np.ndarray,
    accounts: np.ndarray,
    id_rank: np.ndarray,
    owners: pl.Series | None,
    workload: np.ndarray,
    reps: Sequence[tuple[str, ...]],
    how: np.ndarray,
    pinned: pl.Series | None,
    carried: Sequence[Mapping[str, float]],
) -> list[str]:
    """Reps for the pooled rows, in the order of `pooled`; sets `how` for them. A pinned row is
    never waiting: its rep counts like a kept owner's when in the pool, else not at all."""
    chosen: dict[int, str] = {}
    nobody = pl.repeat(None, accounts.size, dtype=pl.String, eager=True)
    table = pl.DataFrame(
        {
            "pos": pooled,
            "t": territory[pooled],
            "id": id_rank[accounts],
            "owner": owners.gather(pooled) if owners is not None else nobody,
            "pin": pinned.gather(pooled) if pinned is not None else nobody,
            "w": workload[accounts],
        }
    ).sort(["t", "id"])  # account_id in plain binary string order
    t_col = table.get_column("t").to_numpy()
    starts = np.flatnonzero(np.r_[True, t_col[1:] != t_col[:-1]])
    ends = np.r_[starts[1:], t_col.size]
    positions = table.get_column("pos").to_list()
    owner_list = table.get_column("owner").to_list()
    pin_list = table.get_column("pin").to_list()
    weights = table.get_column("w").to_list()
    for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
        pool = reps[int(t_col[start])]
        slot = {rep: j for j, rep in enumerate(pool)}
        held = carried[int(t_col[start])] if carried else {}
        loads = [held.get(rep, 0.0) for rep in pool]
        waiting: list[int] = []
        for k in range(start, end):
            if pin_list[k] is not None:
                if (pin := slot.get(pin_list[k])) is not None:
                    loads[pin] += weights[k]
                chosen[positions[k]] = pin_list[k]
                continue
            j = slot.get(owner_list[k]) if owner_list[k] is not None else None
            if j is None:
                waiting.append(k)
            else:
                loads[j] += weights[k]
                chosen[positions[k]] = pool[j]
                how[positions[k]] = RepChoice.KEPT_OWNER
        slots = range(len(pool))
        for k in waiting:
            j = min(slots, key=loads.__getitem__)  # min keeps the first of equals: pool order
            loads[j] += weights[k]
            chosen[positions[k]] = pool[j]
            how[positions[k]] = RepChoice.LEAST_LOADED
    return [chosen[p] for p in pooled.tolist()]
