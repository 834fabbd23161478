"""Anchors for the balancing benchmark (issue 4): k-means-constrained, GerryChain and spopt SKATER.

Each anchor runs in its own spawned process and is killed when it passes `time_limit`, so a slow
anchor cannot hang the benchmark. `seconds` is compute time only: the clock starts once the child
has imported its library. The libraries come from the `bench` extra (`pip install -e '.[bench]'`);
nothing under src/ imports them.

    .venv/bin/python benchmarks/balance_anchors.py   # all three on 300 points, k=6
"""

from __future__ import annotations

import importlib
import multiprocessing as mp
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from multiprocessing.connection import Connection
from typing import Any, Literal

import numpy as np

# Spawning a child and importing its library (and, under spawn, the caller's own imports) is not
# part of the anchor's time, but it must not hang either.
STARTUP_LIMIT = 180.0
# spopt SKATER builds a dense n×n dissimilarity matrix: 10,000 units already take 800 MB.
SKATER_MAX_UNITS = 10_000

Labels = np.ndarray
Keep = Literal["fewest_cut_edges", "best_balance", "last"]


@dataclass(frozen=True)
class AnchorResult:
    name: str
    labels: np.ndarray | None  # territory index per unit (0..k-1); None when it failed or timed out
    seconds: float
    note: str  # settings used, "time limit reached", "failed: <error>"


def kmeans_constrained_anchor(
    coords: np.ndarray, weights: np.ndarray, k: int, seed: int, time_limit: float, *, n_init: int = 10
) -> AnchorResult:
    """k-means with equal counts per cluster: size_min = floor(n/k), size_max = ceil(n/k).

    The library balances counts only (it takes no sample weights), which is its intended use; the
    library default of 10 restarts is kept.
    """
    n = len(coords)
    size_min, size_max = n // k, -(-n // k)
    settings = f"size {size_min}..{size_max} units, n_init={n_init}, counts not workload"
    return _guarded(
        "k-means-constrained",
        _kmeans_constrained_labels,
        (np.asarray(coords, float), k, size_min, size_max, seed, n_init),
        ("k_means_constrained",),
        time_limit,
        settings,
    )


def gerrychain_anchor(
    coords: np.ndarray,
    weights: np.ndarray,
    edges: np.ndarray,
    k: int,
    tolerance: float,
    seed: int,
    recom_steps: int,
    time_limit: float,
    *,
    keep: Keep = "fewest_cut_edges",
) -> AnchorResult:
    """`recursive_tree_part` (epsilon = tolerance), then a ReCom chain that stays within tolerance.

    ReCom is a sampler, not an optimizer, so a user who wants one plan keeps the best state seen.
    By default that is the state with the fewest cut edges (GerryChain's own compactness score),
    ties broken by the smaller largest deviation; `keep="best_balance"` or `"last"` change that.
    The chain stops early, keeping the best state so far, at 95% of the time limit.
    """
    settings = f"epsilon={tolerance:g}, ReCom {recom_steps} steps, keep {keep.replace('_', ' ')}"
    return _guarded(
        "GerryChain tree part + ReCom",
        _gerrychain_labels,
        (np.asarray(weights, float), _edge_array(edges), k, tolerance, seed, recom_steps, keep, time_limit),
        ("gerrychain",),
        time_limit,
        settings,
    )


def skater_anchor(
    coords: np.ndarray,
    weights: np.ndarray,
    edges: np.ndarray,
    k: int,
    seed: int,
    time_limit: float,
    *,
    floor_share: float = 0.5,
    attributes: Literal["workload", "xy"] = "workload",
) -> AnchorResult:
    """spopt SKATER on the adjacency, with the workload as attribute and a floor on region size.

    spopt's floor (quorum) counts units, not workload, so it is set to `floor_share` of n/k: high
    enough to stop single-unit regions, low enough that the greedy tree cuts still find k regions.
    `attributes="xy"` clusters on the coordinates instead, which favours compactness. SKATER is
    deterministic; the seed is unused.
    """
    n = len(coords)
    floor = max(1, int(floor_share * n / k))
    settings = f"attrs={attributes}, floor={floor} units ({floor_share:g}·n/k), manhattan dissimilarity"
    if n > SKATER_MAX_UNITS:
        note = f"skipped: {n:,} units; SKATER's dense n×n matrix needs {8 * n * n / 1e9:.1f} GB"
        return AnchorResult("spopt SKATER", None, 0.0, note)
    data = np.asarray(weights, float)[:, None] if attributes == "workload" else np.asarray(coords, float)
    return _guarded(
        "spopt SKATER",
        _skater_labels,
        (np.asarray(coords, float), data, _edge_array(edges), k, floor),
        ("spopt.region", "libpysal.weights", "geopandas"),
        time_limit,
        settings,
    )


def _kmeans_constrained_labels(
    coords: np.ndarray, k: int, size_min: int, size_max: int, seed: int, n_init: int
) -> tuple[Labels, str]:
    from k_means_constrained import KMeansConstrained

    model = KMeansConstrained(
        n_clusters=k, size_min=size_min, size_max=size_max, n_init=n_init, random_state=seed, n_jobs=1
    )
    return np.asarray(model.fit_predict(coords), dtype=np.int64), ""


def _gerrychain_labels(
    weights: np.ndarray,
    edges: np.ndarray,
    k: int,
    tolerance: float,
    seed: int,
    recom_steps: int,
    keep: Keep,
    time_limit: float,
) -> tuple[Labels, str]:
    import networkx as nx
    from gerrychain import Graph, MarkovChain, Partition
    from gerrychain.constraints import within_percent_of_ideal_population
    from gerrychain.partition import recursive_tree_part
    from gerrychain.proposals import recom
    from gerrychain.updaters import Tally

    started = time.perf_counter()
    n = len(weights)
    nx_graph = nx.Graph()
    nx_graph.add_nodes_from((i, {"workload": float(weights[i])}) for i in range(n))
    nx_graph.add_edges_from((int(a), int(b)) for a, b in edges)
    components = nx.number_connected_components(nx_graph)
    if components > 1:
        raise ValueError(f"the adjacency has {components} components; recursive_tree_part needs one")
    graph = Graph.from_networkx(nx_graph)
    target = float(weights.sum()) / k

    assignment = recursive_tree_part(graph, range(k), target, "workload", tolerance, rng=seed)
    initial = Partition(graph, assignment, updaters={"workload": Tally("workload", alias="workload")})
    chain = MarkovChain(
        proposal_fn=partial(recom, pop_col="workload", pop_target=target, epsilon=tolerance),
        constraints=[within_percent_of_ideal_population(initial, tolerance, "workload")],
        initial_partition=initial,
        total_steps=recom_steps + 1,  # the chain yields the initial partition first
        rng=seed,
    )

    def score(partition: Any) -> tuple[float, ...]:
        deviation = max(abs(w / target - 1.0) for w in partition["workload"].values())
        if keep == "fewest_cut_edges":
            return (len(partition["cut_edges"]), deviation)
        if keep == "best_balance":
            return (deviation, len(partition["cut_edges"]))
        return ()

    best, best_score, steps = initial, score(initial), 0
    deadline = started + 0.95 * time_limit
    for step, state in enumerate(chain):
        steps = step
        if score(state) <= best_score:
            best, best_score = state, score(state)
        if time.perf_counter() > deadline:
            break
    note = "" if steps >= recom_steps else f"ReCom stopped at step {steps} (time limit)"

    labels = np.empty(n, dtype=np.int64)
    for node, part in best.assignment.items():
        labels[best.graph.original_nx_node_id_for_internal_node_id(node)] = part
    return labels, note


def _skater_labels(
    coords: np.ndarray, data: np.ndarray, edges: np.ndarray, k: int, floor: int
) -> tuple[Labels, str]:
    import geopandas as gpd
    from libpysal.weights import W
    from sklearn.metrics import pairwise
    from spopt.region import Skater

    n = len(coords)
    neighbors: dict[int, list[int]] = {i: [] for i in range(n)}
    for a, b in edges:
        neighbors[int(a)].append(int(b))
        neighbors[int(b)].append(int(a))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # libpysal warns about islands; SKATER handles them below
        w = W(neighbors, silence_warnings=True)
    gdf = gpd.GeoDataFrame(
        {f"a{j}": data[:, j] for j in range(data.shape[1])},
        geometry=gpd.points_from_xy(coords[:, 0], coords[:, 1]),
    )
    model = Skater(
        gdf,
        w,
        [f"a{j}" for j in range(data.shape[1])],
        n_clusters=k,
        floor=floor,
        islands="ignore",  # islands count towards the k regions, so the answer has k labels
        spanning_forest_kwds={"dissimilarity": pairwise.manhattan_distances},
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.solve()
    labels = np.asarray(model.labels_, dtype=np.int64)
    found = len(np.unique(labels))
    notes = [f"found {found} regions, not {k}"] if found != k else []
    notes += [str(c.message).split(".")[0] for c in caught if "MSF contains no valid moves" in str(c.message)]
    return labels, "; ".join(notes)


def _edge_array(edges: np.ndarray) -> np.ndarray:
    return np.asarray(edges, dtype=np.int64).reshape(-1, 2)


def _guarded(
    name: str,
    compute: Callable[..., tuple[Labels, str]],
    args: tuple[Any, ...],
    modules: tuple[str, ...],
    time_limit: float,
    settings: str,
) -> AnchorResult:
    """Run `compute(*args)` in a spawned process; kill it once it passes `time_limit` seconds."""
    context = mp.get_context("spawn")  # never fork a parent that may hold polars or BLAS threads
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(sender, compute, args, modules), daemon=True)
    process.start()
    sender.close()
    message: tuple[Any, ...] | None = None
    started = timed_out = False
    try:
        started = receiver.poll(STARTUP_LIMIT)
        if started:
            message = receiver.recv()
            if message[0] == "ready":
                timed_out = not receiver.poll(time_limit)
                message = None if timed_out else receiver.recv()
    except EOFError:
        message = None
    finally:
        if process.is_alive():
            process.kill()
        process.join()
        receiver.close()
    if timed_out:
        return AnchorResult(name, None, time_limit, f"time limit reached ({time_limit:g} s); {settings}")
    if not started:
        return AnchorResult(name, None, 0.0, f"failed: did not start within {STARTUP_LIMIT:g} s; {settings}")
    if message is None:
        reason = f"process ended without an answer (exit code {process.exitcode})"
        return AnchorResult(name, None, 0.0, f"failed: {reason}; {settings}")
    kind, payload, seconds, extra = message
    if kind == "ok":
        return AnchorResult(name, payload, seconds, "; ".join(filter(None, [settings, extra])))
    return AnchorResult(name, None, seconds, f"failed: {payload}; {settings}")


def _child(
    sender: Connection,
    compute: Callable[..., tuple[Labels, str]],
    args: tuple[Any, ...],
    modules: tuple[str, ...],
) -> None:
    try:
        for module in modules:
            importlib.import_module(module)
    except ImportError as error:
        hint = "pip install -e '.[bench]'"
        sender.send(("failed", f"{error} ({hint})", 0.0, ""))
        return
    sender.send(("ready",))
    started = time.perf_counter()
    try:
        labels, note = compute(*args)
    except Exception as error:  # an anchor's failure is a row in the table, not a crash
        sender.send(("failed", f"{type(error).__name__}: {error}", time.perf_counter() - started, ""))
        return
    sender.send(("ok", labels, time.perf_counter() - started, note))


def _demo() -> None:
    from scipy.spatial import Delaunay

    rng = np.random.default_rng(7)
    n, k, tolerance, seed, limit = 300, 6, 0.05, 1, 60.0
    coords = rng.normal(size=(n, 2)) * [40.0, 25.0]
    weights = rng.lognormal(mean=0.0, sigma=0.6, size=n)
    triangles = Delaunay(coords).simplices
    pairs = np.vstack([triangles[:, [0, 1]], triangles[:, [1, 2]], triangles[:, [0, 2]]])
    edges = np.unique(np.sort(pairs, axis=1), axis=0)

    results = [
        kmeans_constrained_anchor(coords, weights, k, seed, limit),
        gerrychain_anchor(coords, weights, edges, k, tolerance, seed, recom_steps=200, time_limit=limit),
        skater_anchor(coords, weights, edges, k, seed, limit),
    ]
    print(f"{n} points, k={k}, workload tolerance ±{tolerance:.0%}, Delaunay adjacency ({len(edges)} edges)")
    for result in results:
        if result.labels is None:
            ratio = "-"
        else:
            totals = np.bincount(result.labels, weights=weights, minlength=k)
            ratio = f"{totals.max() / totals.min():.2f}" if totals.min() > 0 else "inf"
        print(f"{result.name:30} {result.seconds:7.2f} s  max/min workload {ratio:>5}  {result.note}")


if __name__ == "__main__":
    _demo()
