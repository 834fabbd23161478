"""Balancing benchmark (issue 4): our optimizer against a plain fixed-centre HiGHS MILP, in one run.

    .venv/bin/python benchmarks/balance_bench.py [--only zips|accounts|rebalance] [--milp-limit 60]

Instances are built on real US ZIP codes weighted by population:
- zips: 3,000 ZIPs drawn by population, workload = the ZIP's population, 30 territories, ±5%,
  contiguous over the Delaunay adjacency of the ZIP points;
- accounts: 30,000 generated accounts (territorial.generate), workload = a work index (calls a
  year × (call time + travel time) by segment), potential = revenue^0.25 (the largest
  account is about 5% of a territory's target), 100 reps, workload ±2%
  and potential ±5%, contiguous;
- rebalance: the accounts solution after each account's workload drifts by a random factor in
  [0.65, 1.35]: restore ±5% moving at most 1% of the accounts.

Compactness is measured the same way for every method: the workload-weighted mean distance (km)
from each unit to its territory's Weber point. The anchor MILP is given centres from weighted
k-means (seeded), each unit's 30 nearest centres (all of them for 30 territories), the same
bands, no contiguity, and a time limit.
"""

from __future__ import annotations

import argparse
import os
import time
from dataclasses import dataclass

import numpy as np
import polars as pl
import scipy.sparse as sp
from sklearn.cluster import KMeans

from territorial.generate.accounts import generate_accounts, populated_zips
from territorial.optimize import allocate, location
from territorial.optimize.balance import balance
from territorial.optimize.graph import adjacency, contiguous
from territorial.optimize.problem import Rules, Territories, Units, distances, targets

SEED = 1
# Calls a year and hours per call (meeting + travel) by segment: the eSpatial/ZS-style work index.
WORK_INDEX = {"Enterprise": 24 * (2.0 + 1.0), "Mid-Market": 12 * (1.5 + 1.0), "SMB": 4 * (1.0 + 0.75)}


@dataclass
class Row:
    instance: str
    method: str
    seconds: float
    within: str
    contiguous: str
    compactness_km: float
    bound: str = ""
    gap: str = ""
    note: str = ""


def zip_instance() -> Units:
    places = populated_zips()
    rng = np.random.default_rng(SEED)
    weight = places["population"].to_numpy().astype(float)
    chosen = np.sort(rng.choice(places.height, size=3000, replace=False, p=weight / weight.sum()))
    picked = places[chosen]
    return Units(
        ids=picked["zip"].to_list(),
        xy=np.column_stack([picked["lat"].to_numpy(), picked["lon"].to_numpy()]),
        geographic=True,
        metrics={"workload": picked["population"].to_numpy().astype(float)},
        noun="ZIP",
    )


def account_instance() -> Units:
    accounts = generate_accounts(30_000, SEED).sort("account_id")
    workload = accounts["segment"].replace_strict(WORK_INDEX, return_dtype=pl.Float64).to_numpy()
    potential = accounts["annual_revenue"].to_numpy().astype(float) ** 0.25
    return Units(
        ids=accounts["account_id"].to_list(),
        xy=np.column_stack([accounts["latitude"].to_numpy(), accounts["longitude"].to_numpy()]),
        geographic=True,
        metrics={"workload": workload, "potential": potential},
        noun="account",
    )


def compactness(units: Units, labels: np.ndarray, k: int) -> float:
    """Workload-weighted mean km from each unit to its territory's Weber point."""
    w = units.metrics["workload"] + 1e-9
    previous = np.tile(np.average(units.xy, axis=0, weights=w), (k, 1))
    centres = location.centres(units.xy, units.geographic, np.arange(len(units)), labels, w, previous)
    d = distances(units, np.arange(len(units)), centres, labels)
    return float(np.sum(w * d) / np.sum(w))


def judge(
    units: Units, labels: np.ndarray, k: int, tolerances: dict[str, float], adj: sp.csr_array
) -> tuple[str, str]:
    names, target = targets(units, Territories.unnamed(k))
    ok = np.ones(k, dtype=bool)
    for name, tol in tolerances.items():
        col = names.index(name)
        sums = np.bincount(labels, weights=units.metrics[name], minlength=k)
        ok &= np.abs(sums - target[:, col]) <= tol * target[:, col] * (1 + 1e-9)
    return f"{int(ok.sum())}/{k}", f"{int(contiguous(adj, labels, k).sum())}/{k}"


def worst_deviation(units: Units, labels: np.ndarray, k: int, name: str) -> float:
    names, target = targets(units, Territories.unnamed(k))
    sums = np.bincount(labels, weights=units.metrics[name], minlength=k)
    return float(np.max(np.abs(sums / target[:, names.index(name)] - 1)))


def ours(
    name: str, units: Units, k: int, rules: Rules, adj: sp.csr_array, territories: Territories | None = None
) -> tuple[Row, np.ndarray]:
    result = balance(units, territories or Territories.unnamed(k), rules)
    within, connected = judge(units, result.territory, k, rules.tolerances, adj)
    note = f"max dev {worst_deviation(units, result.territory, k, 'workload'):.2%}"
    if result.min_moves is not None:
        note += f"; moved {result.moves} (LP min {result.min_moves:.1f})"
    row = Row(
        name,
        "territorial balance",
        result.seconds,
        within,
        connected,
        compactness(units, result.territory, k),
        f"{result.bound:,.4g}",
        f"{result.gap:.2%}",
        note,
    )
    return row, result.territory


def milp_anchor(
    name: str, units: Units, k: int, tolerances: dict[str, float], adj: sp.csr_array, limit: float
) -> Row:
    """Weighted k-means centres, then one MILP: each unit to one of its 30 nearest centres, the
    same bands, minimise workload-weighted distance; no contiguity."""
    started = time.perf_counter()
    w = units.metrics["workload"] + 1e-9
    flat = units.flat()
    km = KMeans(n_clusters=k, random_state=SEED, n_init=1).fit(flat, sample_weight=w)
    centres = location.centres(
        units.xy, units.geographic, np.arange(len(units)), km.labels_, w, np.zeros((k, 2))
    )
    n = len(units)
    group = np.zeros(n, dtype=np.int64)
    unit, terr = allocate.nearest_arcs(
        flat,
        units.flat(centres),
        group,
        np.ones((1, k), dtype=bool),
        np.full(n, -1),
        np.full(n, -1),
        min(k, 30),
    )
    arcs = allocate.Arcs(unit, terr, w[unit] * distances(units, unit, centres, terr))
    names, target = targets(units, Territories.unnamed(k))
    cols = [names.index(m) for m in tolerances]
    tol = np.array(list(tolerances.values()))
    amounts = np.column_stack([units.metrics[m] for m in tolerances]) / target[:, cols].mean(axis=0)
    scaled = target[:, cols] / target[:, cols].mean(axis=0)
    bands = allocate.Bands(amounts, scaled * (1 - tol), scaled * (1 + tol))
    labels, solution = allocate.exact(arcs, n, k, bands, None, limit, SEED)
    seconds = time.perf_counter() - started
    if labels is None:
        return Row(
            name,
            "HiGHS MILP, fixed centres",
            seconds,
            "-",
            "-",
            float("nan"),
            note=f"no solution ({solution.status})",
        )
    within, connected = judge(units, labels, k, tolerances, adj)
    gap = (solution.objective - solution.mip_bound) / solution.objective
    return Row(
        name,
        "HiGHS MILP, fixed centres",
        seconds,
        within,
        connected,
        compactness(units, labels, k),
        f"{solution.mip_bound:,.4g}",
        f"{gap:.2%}",
        f"{solution.status}; its own centres",
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", choices=["zips", "accounts", "rebalance"], default=None)
    parser.add_argument("--milp-limit", type=float, default=60.0)
    args = parser.parse_args()
    print(f"os.cpu_count() = {os.cpu_count()}")
    rows: list[Row] = []
    if args.only in (None, "zips"):
        units = zip_instance()
        adj = adjacency(units)
        tolerances = {"workload": 0.05}
        rules = Rules(tolerances=tolerances, workload="workload", contiguous=True, seed=SEED)
        rows.append(ours("3,000 ZIPs → 30, ±5%, contiguous", units, 30, rules, adj)[0])
        rows.append(
            milp_anchor("3,000 ZIPs → 30, ±5%, contiguous", units, 30, tolerances, adj, args.milp_limit)
        )
        _print(rows[-2:])
    if args.only in (None, "accounts", "rebalance"):
        units = account_instance()
        adj = adjacency(units)
        tolerances = {"workload": 0.02, "potential": 0.05}
        rules = Rules(tolerances=tolerances, workload="workload", contiguous=True, seed=SEED)
        label = "30,000 accounts → 100, ±2%/±5%, contiguous"
        row, solution = ours(label, units, 100, rules, adj)
        if args.only != "rebalance":
            rows.append(row)
            rows.append(milp_anchor(label, units, 100, tolerances, adj, args.milp_limit))
            _print(rows[-2:])
        if args.only in (None, "rebalance"):
            rows.append(rebalance(units, solution, adj))
            _print(rows[-1:])
    print()
    _print(rows)


def rebalance(units: Units, solution: np.ndarray, adj: sp.csr_array) -> Row:
    rng = np.random.default_rng(SEED + 1)
    drift = rng.uniform(0.65, 1.35, len(units))
    drifted = Units(
        ids=units.ids,
        xy=units.xy,
        geographic=units.geographic,
        metrics={"workload": units.metrics["workload"] * drift, "potential": units.metrics["potential"]},
        current=solution,
        noun=units.noun,
    )
    rules = Rules(
        tolerances={"workload": 0.05}, workload="workload", contiguous=True, max_moves=0.01, seed=SEED
    )
    row, _labels = ours("rebalance after ±35% drift, ±5%, ≤1% moves", drifted, 100, rules, adj)
    return row


def _print(rows: list[Row]) -> None:
    header = (
        "instance",
        "method",
        "time s",
        "within tol",
        "contiguous",
        "compact km",
        "bound",
        "gap",
        "note",
    )
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for r in rows:
        cells = (
            r.instance,
            r.method,
            f"{r.seconds:.2f}",
            r.within,
            r.contiguous,
            f"{r.compactness_km:.1f}",
            r.bound,
            r.gap,
            r.note,
        )
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
