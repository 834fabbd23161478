"""The browser harness of the web tests: `territorial serve` over the API tests' book with a password
per user, Debian's headless Chromium driven by Playwright (never `playwright install`), a page that
collects its console errors and failed requests, sign-in, and an axe-core scan."""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from api.book import EVERY_ID, accounts_with_zips
from api_server import start, stop
from conftest import postgres_schema, schema_url
from territorial.domain.entities import Entity
from territorial.io.chromium import CHROMIUM, FLAGS
from territorial.services.context import Context
from territorial.services.imports import import_records
from territorial.services.sign_in import set_password
from territorial.store.workspace import open_workspace

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
AXE = Path(__file__).parent / "web" / "vendor" / "axe-4.14.1.min.js"  # axe-core 4.14.1 from npm, MPL-2.0
VIEWPORT = {"width": 1440, "height": 900}
PASSWORDS = {user: f"{user} has a long password" for user in ("ann", "ben", "mia", "pat", "root")}
NEEDS_CHROMIUM = pytest.mark.skipif(
    not Path(CHROMIUM).is_file(), reason="needs Debian's chromium: make browser-deps"
)


@dataclass(frozen=True)
class WebServer:
    url: str


def serve_book(
    folder: Path, database_url: str, workers: int, located: bool = False, activated_yesterday: bool = False
) -> tuple[WebServer, int]:
    """`territorial serve` over the API tests' book, each user given a password through the service
    (and, `located`, each account a ZIP code, for the map; `activated_yesterday`, its plan active
    from yesterday, so a test can activate another today): the server and its pid."""
    # Uploads go to the server's temporary folder: the test's own, not the machine's.
    env = {"TMPDIR": str(folder)}
    state = start(folder, database_url, workers, env, activated_yesterday=activated_yesterday)
    store = open_workspace(database_url)
    try:
        for user, password in PASSWORDS.items():
            set_password(store, Context.admin("tester"), user, password)
        if located:
            import_records(store, Context.admin("tester"), Entity.ACCOUNTS, accounts_with_zips(folder))
    finally:
        store.engine.dispose()
    return WebServer(state["url"]), state["pid"]


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebServer]:
    yield from served_on_sqlite(tmp_path_factory, located=False)


@pytest.fixture(scope="module")
def web_postgresql(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebServer]:
    """The same on PostgreSQL with two workers, as in production: a session made by one worker is
    read by the other, and so are the sign-in counters."""
    yield from served_on_postgresql(tmp_path_factory, located=False)


@pytest.fixture(scope="module")
def located(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebServer]:
    """The book served on SQLite with each account a ZIP code: places and counties for the map."""
    yield from served_on_sqlite(tmp_path_factory, located=True)


@pytest.fixture(scope="module")
def planning(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebServer]:
    """The book served on SQLite with its plan active from yesterday: a planner activates another today."""
    yield from served_on_sqlite(tmp_path_factory, located=False, activated_yesterday=True)


@pytest.fixture(scope="module")
def planning_postgresql(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebServer]:
    yield from served_on_postgresql(tmp_path_factory, located=False, activated_yesterday=True)


def served_on_sqlite(
    factory: pytest.TempPathFactory, located: bool, activated_yesterday: bool = False
) -> Iterator[WebServer]:
    folder = factory.mktemp("web-map" if located else "web")
    server, pid = serve_book(folder, f"sqlite:///{folder / 'workspace.db'}", 1, located, activated_yesterday)
    try:
        yield server
    finally:
        stop(pid)


@pytest.fixture(scope="module")
def located_postgresql(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebServer]:
    yield from served_on_postgresql(tmp_path_factory, located=True)


def served_on_postgresql(
    factory: pytest.TempPathFactory, located: bool, activated_yesterday: bool = False
) -> Iterator[WebServer]:
    if os.environ.get("TERRITORIAL_SKIP_POSTGRES") == "1":
        pytest.skip("PostgreSQL tests opted out with TERRITORIAL_SKIP_POSTGRES=1")
    schema = f"web_{uuid.uuid4().hex[:12]}"
    postgres_schema(f"CREATE SCHEMA {schema}")
    try:
        server, pid = serve_book(
            factory.mktemp("web-pg"), schema_url(schema), 2, located, activated_yesterday
        )
        try:
            yield server
        finally:
            stop(pid)
    finally:
        postgres_schema(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=list(FLAGS))
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class Watched:
    """A page whose console errors and failed requests are collected, to fail the test at its end."""

    page: Any
    problems: list[str] = field(default_factory=list)
    documents_refused: list[int] = field(default_factory=list)  # pages answered 4xx on purpose

    def assert_clean(self) -> None:
        """No problem but Chromium's own console line for each page the test had refused on purpose."""
        left = list(self.problems)
        for status in self.documents_refused:
            said = f"console: Failed to load resource: the server responded with a status of {status}"
            left.remove(next(line for line in left if line.startswith(said)))
        assert left == [], (self.problems, self.documents_refused)


@pytest.fixture
def watched(chromium: Any) -> Iterator[Watched]:
    context = chromium.new_context(viewport=VIEWPORT)
    page = context.new_page()
    found = Watched(page)
    page.on("console", lambda m: console_error(found, m))
    page.on("pageerror", lambda e: found.problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: found.problems.append(f"failed: {r.url} {r.failure}"))
    # A document may answer 401 or 429 on purpose (the sign-in form says why); nothing else may fail.
    page.on("response", lambda r: refused(found, r))
    try:
        yield found
    finally:
        context.close()


def console_error(found: Watched, message: Any) -> None:
    """A console error, with the script and line that logged it."""
    if message.type == "error":
        found.problems.append(f"console: {message.text} (at {message.location})")


def refused(found: Watched, response: Any) -> None:
    if response.status < 400:
        return
    if response.request.resource_type == "document":
        found.documents_refused.append(response.status)
    else:
        found.problems.append(f"{response.status}: {response.url}")


def sign_in(page: Any, url: str, user: str, password: str) -> Any:
    page.goto(url + "/sign-in")
    page.get_by_label("User name").fill(user)
    page.get_by_label("Password").fill(password)
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="Sign in").click()
    return navigation.value


def axe_violations(page: Any) -> list[str]:
    """axe-core's serious and critical violations on the page as it is now."""
    page.evaluate(AXE.read_text(encoding="utf-8"))
    found = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(' '))}))"
    )
    return [
        f"{v['id']} ({v['impact']}): {v['nodes']}" for v in found if v["impact"] in ("serious", "critical")
    ]


def ids_in(text: str) -> set[str]:
    return {found for found in EVERY_ID if re.search(rf"(?<![\w-]){re.escape(found)}(?![\w-])", text)}
