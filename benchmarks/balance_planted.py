"""Planted feasibility (issue 17): `territorial balance --contiguous` on instances built so that a
±5% contiguous answer is known to exist, run as a user runs it (the CLI, the default 60 s limit).

    .venv/bin/python benchmarks/balance_planted.py [--seeds 0:200] [--broken 1000:1040] [--json FILE]

An instance (territorial.generate.planted) is n real ZCTA points near a random ZIP with their
Delaunay edges (passed as --edges), a hidden partition into k connected parts of at least 20
units, 1-3 skewed activity columns with no unit over 25% of its part, and one factor per part and
column that brings every part within ±1% of the mean. Seed s draws:
- n log-uniform in 300-5,000; k log-uniform in 5-min(100, n/30) (parts average 30 units or more);
- 1 + s mod 3 metrics, named from accounts, count, workload and revenue (a column named in --metric
  is always that column), each balanced at ±5%;
- part factors in [0.7, 1.3], or in [0.25, 4] when s mod 4 = 3 (50 of the 200 seeds: dense cities
  beside empty land). Parts are sized in proportion to 1 / factor, so the factors that equalise
  them are the ones drawn (the 20-unit floor narrows the widest); the table shows their range.

Target: found (exit 0, every territory within tolerance and contiguous) for >= 99% of seeds 0-199,
median <= 10 s. --broken runs instances that break the rules (parts of 5-19 units, one unit holding
25-40% of its part in half the parts), where success cannot be promised; they are reported apart.
Seconds are wall time of the whole command (start-up and reading included).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from territorial.generate.planted import Rules, planted_instance

TOLERANCE = 0.05
KEPT = Rules()
NARROW, WIDE = (0.7, 1.3), (0.25, 4.0)
BROKEN = Rules(min_part=5, max_share=0.40, spread=WIDE, heavy=(0.25, 0.40))
CLI = Path(sys.executable).with_name("territorial")


@dataclass
class Row:
    seed: int
    rules: str
    n: int
    k: int
    metrics: str
    factors: str
    smallest_part: int
    found: bool
    seconds: float
    status: str


def draw(seed: int, broken: bool) -> tuple[int, int, int, Rules]:
    """n, k, the number of metrics and the rules for a seed."""
    rng = np.random.default_rng([seed, 17])
    metrics = 1 + seed % 3
    if broken:
        n = round(float(np.exp(rng.uniform(np.log(300), np.log(2000)))))
        k = int(min(100, n // rng.uniform(8, 19)))
        return n, k, metrics, BROKEN
    n = round(float(np.exp(rng.uniform(np.log(300), np.log(5000)))))
    k = round(float(np.exp(rng.uniform(np.log(5), np.log(min(100, n // 30))))))
    spread = WIDE if seed % 4 == 3 else NARROW
    return n, k, metrics, Rules(spread=spread)


def run(seed: int, broken: bool, time_limit: float | None) -> Row:
    n, k, metrics, rules = draw(seed, broken)
    instance = planted_instance(seed, n, k, metrics, rules)
    with tempfile.TemporaryDirectory() as folder:
        here = Path(folder)
        instance.units.write_csv(here / "units.csv")
        instance.edges.write_csv(here / "edges.csv")
        args = [str(CLI), "balance", "--units", "units.csv", "--edges", "edges.csv", "--k", str(k)]
        args += ["--contiguous", "--out", "a.csv", "--report", "r.json"]
        for name in instance.metrics:
            args += ["--metric", f"{name}={TOLERANCE}"]
        if time_limit is not None:
            args += ["--time-limit", str(time_limit)]
        started = time.perf_counter()
        done = subprocess.run(args, cwd=here, capture_output=True, text=True, check=False)
        seconds = time.perf_counter() - started
        found, status = False, _message(done.stderr) or f"exit {done.returncode}"
        if done.returncode == 0:
            totals = json.loads((here / "r.json").read_text())["totals"]
            found = totals["within_tolerance"] == k and totals["contiguous"] == k
            status = (
                "found"
                if found
                else f"{totals['within_tolerance']}/{k} within, {totals['contiguous']}/{k} contiguous"
            )
    sizes = np.bincount(instance.part)
    return Row(
        seed=seed,
        rules="broken" if broken else f"[{rules.spread[0]:g}, {rules.spread[1]:g}]",
        n=n,
        k=k,
        metrics=",".join(instance.metrics),
        factors=f"{instance.factors.min():.2f}-{instance.factors.max():.2f}",
        smallest_part=int(sizes.min()),
        found=found,
        seconds=round(seconds, 2),
        status=status,
    )


def _message(stderr: str) -> str:
    """The error line the user sees."""
    lines = [line.strip() for line in stderr.splitlines() if "error" in line.lower()]
    return lines[-1][:160] if lines else ""


def seeds(text: str) -> range:
    start, _, end = text.partition(":")
    return range(int(start), int(end))


def table(rows: list[Row], title: str) -> None:
    print(f"\n## {title}\n")
    print("| seed | factors drawn | n | k | metrics | factor range | smallest part | found | s | status |")
    print("|---:|---|---:|---:|---|---|---:|---|---:|---|")
    for r in rows:
        print(
            f"| {r.seed} | {r.rules} | {r.n:,} | {r.k} | {r.metrics} | {r.factors} | {r.smallest_part} | "
            f"{'yes' if r.found else '**no**'} | {r.seconds:.1f} | {r.status} |"
        )
    times = np.array([r.seconds for r in rows])
    found = sum(r.found for r in rows)
    print(
        f"\n{title}: found {found}/{len(rows)} ({found / max(len(rows), 1):.1%}); seconds median "
        f"{np.median(times):.1f}, p90 {np.quantile(times, 0.9):.1f}, max {times.max():.1f}"
    )
    for r in rows:
        if not r.found:
            print(f"  not found: seed {r.seed} (n {r.n:,}, k {r.k}, {r.metrics}): {r.status}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--seeds", default="0:200", help="START:END of the planted seeds (0:200 is the target set)"
    )
    parser.add_argument(
        "--broken", default="1000:1040", help="START:END of rule-breaking seeds ('' for none)"
    )
    parser.add_argument("--time-limit", type=float, default=None, help="seconds (default: the CLI's 60)")
    parser.add_argument("--json", type=Path, default=None, help="write every row here")
    args = parser.parse_args()
    print(f"cores: {os.cpu_count()}; territorial: {CLI}")
    kept = []
    for seed in seeds(args.seeds) if args.seeds else []:
        kept.append(run(seed, False, args.time_limit))
        r = kept[-1]
        print(f"seed {seed}: n {r.n:,} k {r.k} {r.metrics}: {r.status} in {r.seconds:.1f} s", flush=True)
    broken = []
    for seed in seeds(args.broken) if args.broken else []:
        broken.append(run(seed, True, args.time_limit))
        r = broken[-1]
        print(f"broken {seed}: n {r.n:,} k {r.k} {r.metrics}: {r.status} in {r.seconds:.1f} s", flush=True)
    if kept:
        table(kept, "Planted instances (the rules kept)")
    if broken:
        table(broken, "Instances that break the rules (no promise)")
    if args.json is not None:
        args.json.write_text(json.dumps([asdict(r) for r in kept + broken], indent=1) + "\n")


if __name__ == "__main__":
    main()
