"""Web app speed (#23): the dashboard, the map and the rep home in real headless Chromium against a real
`territorial serve` over a 1,000,000-account workspace, and the map's cluster endpoint.

    .venv/bin/python benchmarks/web_bench.py [--accounts 1000000] [--territories 5000]
        [--backend postgresql|sqlite] [--loads 5]

The workspace is built with the real commands (init, import accounts, plan add, plan activate), as
lifecycle_bench builds it. Each page is timed from navigation start to its `data-ready` mark (the KPI
cards and the balance chart drawn; the counties and the first accounts layer drawn; the rep home
parsed), as read from the browser's performance timeline. The first load of each page after the
server starts is the cold start: it builds the figures the server then keeps until the workspace
changes (services.snapshots). Then `--loads` warm loads: median and p95 (target: median ≤ 2 s).
The cluster endpoint is timed from the browser's side for views of the whole country, a region and
a city: median and p95 of 20 requests each.
"""

from __future__ import annotations

import argparse
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import polars as pl

from store_bench import generated_inputs, timed, workspace
from territorial.io.chromium import CHROMIUM, FLAGS
from territorial.services.context import Context, Role
from territorial.services.sign_in import set_password
from territorial.services.users import add_user
from territorial.store.workspace import open_workspace

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent / "territorial"
PASSWORD = "a long benchmark password"
READY_SECONDS = 900  # a cold start reads the whole book: minutes on a loaded machine
VIEWS = {  # name: (bbox, zoom)
    "country": ("-125,24,-66,50", 4),
    "region": ("-80,38,-70,44", 6),
    "city": ("-74.1,40.6,-73.8,40.9", 11),
}
REQUESTS_PER_VIEW = 20


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--accounts", type=int, default=1_000_000)
    parser.add_argument("--territories", type=int, default=5_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="postgresql")
    parser.add_argument("--loads", type=int, default=5)
    parser.add_argument("--work", type=Path, default=HERE.parent / "bench-output")
    parser.add_argument("--keep", action="store_true", help="keep the workspace built, to measure it again")
    parser.add_argument("--database-url", help="measure this workspace (built by an earlier --keep run)")
    parser.add_argument("--pages", default="dashboard,map,home", help="which pages to time, comma-separated")
    args = parser.parse_args()
    work: Path = args.work
    book, plan = generated_inputs(work, args.accounts, args.territories, args.seed)
    print(f"machine: {os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}")
    print(f"input: {args.accounts:,} accounts, a plan of {args.territories:,} territories, {args.backend}")
    if args.database_url:
        print("workspace: as given (--database-url), not rebuilt")
        measure_served(args.database_url, work, args.loads, set(args.pages.split(",")))
        return
    place = workspace(args.backend, work)
    url = place.__enter__()
    try:
        env = {**os.environ, "TERRITORIAL_DATABASE_URL": url}
        for step in (["init"], ["import", "accounts", str(book)], ["plan", "add", str(plan)]):
            print(f"  {' '.join(step[:2])}: {timed(step, env):.1f} s", flush=True)
        print(f"  plan activate: {timed(['plan', 'activate', '1'], env):.1f} s", flush=True)
        add_users(url, work, env)
        measure_served(url, work, args.loads, set(args.pages.split(",")))
    finally:
        if args.keep:
            print(f"kept: --database-url '{url}' measures it again")
        else:
            place.__exit__()


def measure_served(url: str, work: Path, loads: int, pages: set[str]) -> None:
    server, port = serve(url, work)
    try:
        measure(f"http://127.0.0.1:{port}", rep_of(url), loads, pages)
    finally:
        server.terminate()
        server.wait(timeout=60)


def add_users(url: str, work: Path, env: dict[str, str]) -> None:
    """The plan's reps imported, an admin and a rep user (the rep holding the most primary accounts),
    each with a password; the rep's id."""
    store = open_workspace(url)
    ctx = Context.admin("bench")
    try:
        with store.unit_of_work() as uow:
            live = uow.live.rows(["layer", "rep_id"]).drop_nulls("rep_id")
        reps = sorted(set(live.get_column("rep_id").to_list()))
        lines = ["rep_id,name,email,active", *(f"{r},{r},{r}@example.com,true" for r in reps)]
        (work / "web_bench_reps.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
        print(f"  import reps: {timed(['import', 'reps', str(work / 'web_bench_reps.csv')], env):.1f} s")
        primary = live.filter(pl.col("layer") == "primary").get_column("rep_id")
        rep = str(primary.value_counts(sort=True).get_column("rep_id")[0])
        add_user(store, ctx, "root", Role.ADMIN, None)
        add_user(store, ctx, "rep", Role.REP, rep)
        for user in ("root", "rep"):
            set_password(store, ctx, user, PASSWORD)
    finally:
        store.engine.dispose()


def rep_of(url: str) -> str:
    """The rep the `rep` user is."""
    store = open_workspace(url)
    try:
        with store.unit_of_work() as uow:
            user = uow.users.get("rep")
    finally:
        store.engine.dispose()
    assert user is not None and user.rep_id is not None
    return user.rep_id


def serve(url: str, work: Path) -> tuple[subprocess.Popen[bytes], int]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    log = (work / "web_bench_server.log").open("w")
    server = subprocess.Popen(
        [str(BIN), "--database-url", url, "serve", "--port", str(port)], stdout=log, stderr=subprocess.STDOUT
    )
    for _ in range(600):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/sign-in", timeout=5).status_code == 200:
                return server, port
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise SystemExit("the server did not answer in 5 minutes; see bench-output/web_bench_server.log")


def ready_seconds(page: Any, url: str) -> float:
    """Navigate, wait for data-ready, and read its mark: seconds from navigation start."""
    page.goto(url, timeout=READY_SECONDS * 1000)
    page.wait_for_selector("body[data-ready='true']", timeout=READY_SECONDS * 1000, state="attached")
    return float(page.evaluate("performance.getEntriesByName('data-ready')[0].startTime")) / 1000


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def page_figures(page: Any, url: str, loads: int) -> str:
    start = time.perf_counter()
    cold = ready_seconds(page, url)
    cold_wall = time.perf_counter() - start
    warm = [ready_seconds(page, url) for _ in range(loads)]
    verdict = "met" if statistics.median(warm) <= 2 else "MISSED"
    return (
        f"cold {cold:6.2f} s (wall {cold_wall:5.1f} s) | warm median {statistics.median(warm):5.2f} s, "
        f"p95 {p95(warm):5.2f} s over {loads} loads (target ≤ 2 s: {verdict})"
    )


def sign_in(page: Any, base: str, user: str) -> None:
    page.goto(base + "/sign-in")
    page.get_by_label("User name").fill(user)
    page.get_by_label("Password").fill(PASSWORD)
    # The session cookie is set by the sign-in's answer: the page it leads to (the home) is not waited for.
    with page.expect_response(lambda r: r.url.endswith("/sign-in") and r.request.method == "POST"):
        page.get_by_role("button", name="Sign in").click()


def clusters(page: Any, base: str) -> str:
    parts = []
    for name, (bbox, zoom) in VIEWS.items():
        times, shown = [], None
        for _ in range(REQUESTS_PER_VIEW):
            start = time.perf_counter()
            answer = page.request.get(f"{base}/map/accounts.json?bbox={bbox}&zoom={zoom}")
            shown = answer.json()
            times.append((time.perf_counter() - start) * 1000)
        assert shown is not None
        drawn = (
            f"{len(shown['clusters']):,} clusters"
            if shown["clusters"]
            else f"{len(shown['points']):,} points"
        )
        parts.append(
            f"{name} (zoom {zoom}, {shown['accounts']:,} accounts → {drawn}): median "
            f"{statistics.median(times):5.1f} ms, p95 {p95(times):5.1f} ms"
        )
    return "; ".join(parts)


def measure(base: str, rep: str, loads: int, pages: set[str]) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=list(FLAGS))
        try:
            for user, who in (("root", "admin"), ("rep", rep)):
                context = browser.new_context(viewport={"width": 1440, "height": 900})
                page = context.new_page()
                page.set_default_timeout(READY_SECONDS * 1000)
                sign_in(page, base, user)
                if "dashboard" in pages and user == "root":
                    print(f"dashboard ({who}): {page_figures(page, base + '/dashboard', loads)}", flush=True)
                if "home" in pages and user == "rep":
                    print(f"rep home ({who}): {page_figures(page, base + '/home', loads)}", flush=True)
                if "map" in pages:
                    print(f"map ({who}): {page_figures(page, base + '/map', loads)}", flush=True)
                    print(f"cluster endpoint ({who}): {clusters(page, base)}", flush=True)
                context.close()
        finally:
            browser.close()


if __name__ == "__main__":
    main()
