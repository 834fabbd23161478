"""Shared helpers: build plans and account books in memory from text and rows."""

from __future__ import annotations

import functools
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import psycopg
import pytest
from filelock import FileLock
from hypothesis import HealthCheck, settings

from fake_workspace import FakeWorkspace
from territorial.domain.assignment import Assignment
from territorial.domain.book import AccountBook
from territorial.engine.assign import assign
from territorial.engine.checks import check_plan
from territorial.engine.compiled import CompiledPlan
from territorial.io.accounts import type_accounts
from territorial.io.plan_file import parse_plan
from territorial.io.tables import RawTable
from territorial.services.context import Context
from territorial.services.unit_of_work import WorkspaceStore
from territorial.store.workspace import Workspace, init_workspace

# Fixtures every test module may ask for: the API tests' real servers (tests/api_server.py) and the
# browser tests' served book, Chromium and watched page (tests/web_browser.py).
pytest_plugins = ["api_server", "web_browser", "web_client"]

# The CLI's consoles read the terminal width when first imported; pytest-xdist workers inherit
# COLUMNS=80. Commands run as the subprocess runs them: 200 columns, so lines don't wrap.
os.environ["COLUMNS"] = "200"

# Hypothesis: `ci` (the default, `make test`) draws few examples in a fixed order; `full`
# (`make test-slow`, HYPOTHESIS_PROFILE=full) draws each test's full count, still derandomised so
# that CI is repeatable. A failure either profile finds is pinned with @example on its test, so
# both run it from then on (none is on record up to #16: nothing to pin yet).
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")
FULL = PROFILE == "full"
for _name in ("ci", "full"):
    settings.register_profile(
        _name,
        derandomize=True,
        deadline=None,
        print_blob=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
settings.load_profile(PROFILE)


def examples(ci: int, full: int) -> int:
    """A property test's number of examples under the active profile."""
    return full if FULL else ci


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Property tests carry the `property` mark, so `make test-slow` can run them at full count."""
    for item in items:
        if getattr(getattr(item, "obj", None), "is_hypothesis_test", False):
            item.add_marker(pytest.mark.property)


@pytest.fixture(scope="session")
def shared_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder all pytest-xdist workers of this run share (the parent of each worker's own)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def built_once(shared_folder: Path, name: str, build: Any) -> Path:
    """`shared_folder/name`, built by `build(path)` by whichever worker gets there first; the others
    wait on a file lock and read it."""
    path = shared_folder / name
    with FileLock(str(path) + ".lock"):
        if not path.exists():
            partial = shared_folder / f"{name}.partial"
            build(partial)
            partial.rename(path)
    return path


def run_cli(cwd: Path, *args: object) -> subprocess.CompletedProcess[str]:
    """The `territorial` command run in this process (typer's runner) in `cwd`, with a wide terminal
    so lines don't wrap: exit code, stdout and stderr as the real command gives them. Starting a
    process costs 1.3-2 s, so only tests of the process itself use `run_process`."""
    from typer.testing import CliRunner

    from territorial.cli.main import app

    _build_commands_once()
    argv = [str(a) for a in args]
    previous = Path.cwd()
    os.chdir(cwd)
    try:
        result = CliRunner().invoke(app, argv, env={"COLUMNS": "200"}, catch_exceptions=False)
    finally:
        os.chdir(previous)
    return subprocess.CompletedProcess(argv, result.exit_code, result.stdout, result.stderr)


def _build_commands_once() -> None:
    """typer's runner builds the click commands from the app's functions on every invoke (their
    signatures and type hints: some 0.1 s of a quiet machine's CPU, more than most commands take);
    the commands never change, so the runner builds them once per process."""
    import typer.main
    import typer.testing

    if not hasattr(typer.testing._get_command, "cache_info"):
        typer.testing._get_command = functools.cache(typer.main.get_command)  # type: ignore[attr-defined]


def run_process(cwd: Path, *args: object) -> subprocess.CompletedProcess[str]:
    """The real `territorial` command in a subprocess, with a wide terminal so lines don't wrap."""
    return subprocess.run(
        [sys.executable, "-m", "territorial.cli.main", *(str(a) for a in args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
        timeout=300,
    )


# The context service tests run in: an admin, at a fixed time.
CTX = Context.admin("tester", datetime(2026, 3, 2, 9, 0))


def fit_on(model: Any, frame: pl.DataFrame, label: str, exclude: Sequence[str] = (), **extra: Any) -> Any:
    """Fit a scoring model on a history table whose `label` column is the outcome."""
    return model.fit(frame.drop(label), frame.get_column(label), exclude, **extra)


def save_model(model: Any, path: Path) -> str:
    """Write a scoring model's file, as the scoring service does; its version."""
    from territorial.io.model_files import write_model_file

    write_model_file(model.to_bytes(), path)
    return str(model.version_)


def book_of(rows: list[dict[str, Any]], declared: dict[str, Any] | None = None) -> AccountBook:
    """An account book from row dicts, typed as a CSV would be (every value given as text)."""
    frame = pl.DataFrame(
        [{k: (None if v is None else str(v)) for k, v in row.items()} for row in rows],
        schema={k: pl.String for k in rows[0]},
    )
    return type_accounts(RawTable(frame, "<test>", is_csv=False), declared or {})


def run_plan(plan_text: str, rows: list[dict[str, Any]]) -> Assignment:
    plan = parse_plan(plan_text, "plan.yaml")
    book = book_of(rows, plan.fields)
    check_plan(plan, book.schema)
    workload = (
        book.frame.get_column(book.columns[plan.workload]).cast(pl.Float64).fill_null(0.0).to_numpy()
        if plan.workload
        else np.ones(len(book))
    )
    return assign(CompiledPlan(plan), book, workload, 0)


def winners(result: Assignment, layer: str = "primary") -> dict[str, str | None]:
    rows = result.rows.filter(pl.col("layer") == layer)
    return dict(
        zip(rows.get_column("account_id").to_list(), rows.get_column("territory_id").to_list(), strict=True)
    )


POSTGRES_URL = os.environ.get("TERRITORIAL_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


@pytest.fixture(scope="module")
def postgres() -> Iterator[psycopg.Connection[tuple[Any, ...]]]:
    """A connection to the real PostgreSQL server the tests run against, in autocommit mode (wrap
    work in `connection.transaction()`). An unreachable server fails the test: real-backend tests are
    never skipped silently, only when TERRITORIAL_SKIP_POSTGRES=1 asks for it."""
    if os.environ.get("TERRITORIAL_SKIP_POSTGRES") == "1":
        pytest.skip("PostgreSQL tests opted out with TERRITORIAL_SKIP_POSTGRES=1")
    try:
        # No server-side prepared statements: tests drop and recreate the tables their queries read.
        connection = psycopg.connect(
            POSTGRES_URL, autocommit=True, prepare_threshold=None, connect_timeout=10
        )
    except psycopg.OperationalError as err:
        problem = str(err)
    else:
        problem = ""
    if problem:
        pytest.fail(
            f"cannot connect to PostgreSQL at {POSTGRES_URL}: {problem}\n"
            "Start the server, point TERRITORIAL_TEST_POSTGRES_URL at one, "
            "or set TERRITORIAL_SKIP_POSTGRES=1 to opt out of the PostgreSQL tests.",
            pytrace=False,
        )
    with connection:
        encoding = connection.execute("SHOW server_encoding").fetchone()
        if encoding != ("UTF8",):
            pytest.fail(f"the database at {POSTGRES_URL} must be UTF8-encoded, not {encoding}", pytrace=False)
        yield connection


REDIS_URL = os.environ.get("TERRITORIAL_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture
def redis_env() -> Iterator[dict[str, str]]:
    """The settings that send jobs through the machine's Redis, with a key prefix of this test's own
    (so tests in parallel never take each other's jobs), its keys deleted afterwards. Skipped, saying
    why, only when no Redis answers."""
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.exceptions.ConnectionError as err:
        client.close()
        pytest.skip(f"no Redis answers at {REDIS_URL} ({err}); set TERRITORIAL_TEST_REDIS_URL to one")
    prefix = f"territorial-test-{uuid.uuid4().hex[:12]}"
    try:
        yield {"TERRITORIAL_REDIS_URL": REDIS_URL, "TERRITORIAL_REDIS_PREFIX": prefix}
    finally:
        for key in client.scan_iter(f"{prefix}:*"):
            client.delete(key)
        client.close()


@pytest.fixture
def example_plan() -> str:
    return EXAMPLE_PLAN


EXAMPLE_PLAN = """\
name: FY27 North America
fields: {employees: number, annual_revenue: number, postal_code: string, strategic: boolean}
territories:
  - id: AMER
    rule: country IN ('US', 'CA')
    children:
      - id: AMER-EAST
        rule: state IN ('NY', 'NJ', 'MA', 'CT')
        reps: [rep-001]
        children:
          - id: AMER-EAST-HC
            name: East Healthcare
            rule: industry = 'Healthcare' AND employees >= 1000
            priority: 10
            reps: [rep-002, rep-003]
  - id: NAMED
    rule: strategic = TRUE OR account_id IN ('A-17', 'A-99')
    priority: 100
    reps: [rep-900]
  - id: SEC-OVERLAY
    layer: security
    rule: products LIKE '%security%'
    reps: [rep-500]
"""


@contextmanager
def fresh_database(kind: str, folder: Path) -> Iterator[str]:
    """A fresh, empty database URL: a SQLite file in `folder`, or a PostgreSQL schema of its own in
    the test database (dropped afterwards)."""
    if kind == "sqlite":
        yield f"sqlite:///{folder / 'workspace.db'}"
        return
    schema = f"ws_{uuid.uuid4().hex[:12]}"
    postgres_schema(f"CREATE SCHEMA {schema}")
    try:
        yield schema_url(schema)
    finally:
        postgres_schema(f"DROP SCHEMA {schema} CASCADE")


def schema_url(schema: str) -> str:
    """The URL of the test database with `schema` first on the search path."""
    base = POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://", 1)
    return f"{base}?options=-csearch_path%3D{schema}"


def postgres_schema(statement: str) -> None:
    """CREATE or DROP a schema in the test database."""
    from sqlalchemy import create_engine, text

    admin = create_engine(POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with admin.begin() as connection:
            connection.execute(text(statement))
    finally:
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def workspace_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database URL on each real back end."""
    with fresh_database(request.param, tmp_path) as url:
        yield url


@pytest.fixture
def workspace(workspace_url: str) -> Iterator[Workspace]:
    """A fresh workspace on each real back end."""
    created = init_workspace(workspace_url)
    yield created
    created.engine.dispose()


@pytest.fixture(params=["fake", "sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[WorkspaceStore]:
    """A fresh workspace store: the in-memory fake, then each real back end."""
    if request.param == "fake":
        yield FakeWorkspace()
        return
    with fresh_database(request.param, tmp_path) as url:
        created = init_workspace(url)
        yield created
        created.engine.dispose()


def shared_data(*parts: str) -> Path:
    """A file of the public datasets in shared/data, which sits beside the repository (or beside a
    folder holding it, as a CI clone may be one level deeper); TERRITORIAL_SHARED_DATA overrides.
    Tests that need it skip when it is nowhere to be found: the product never reads it."""
    override = os.environ.get("TERRITORIAL_SHARED_DATA")
    roots = [Path(override)] if override else []
    roots += [folder / "shared" / "data" for folder in Path(__file__).resolve().parents[1:]]
    for root in roots:
        if root.is_dir():
            return root.joinpath(*parts)
    return roots[-1].joinpath(*parts)


@pytest.fixture(scope="session")
def crm_workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace with the CRM Sales Opportunities data imported with its built-in mappings, once
    for the session (4 s): tests read it and write only their own output files. Skips without the
    data."""
    data = shared_data("crm-sales-opportunities")
    if not data.is_dir():
        pytest.skip("the CRM Sales Opportunities data is in ../shared/data")
    folder = tmp_path_factory.mktemp("crm")
    assert run_cli(folder, "init").returncode == 0
    for entity, name in [
        ("accounts", "accounts"),
        ("reps", "sales_teams"),
        ("opportunities", "sales_pipeline"),
    ]:
        imported = run_cli(
            folder, "import", entity, data / f"{name}.csv", "--mapping", "crm-sales-opportunities"
        )
        assert imported.returncode == 0, imported.stderr
    return folder
