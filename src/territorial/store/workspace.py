"""Opening a workspace: its database, its schema version, and units of work (read or write)."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DatabaseError, OperationalError

from territorial.errors import BadInput
from territorial.store.unit_of_work import SqlUnitOfWork

DEFAULT_URL = "sqlite:///territorial.db"
URL_VARIABLE = "TERRITORIAL_DATABASE_URL"
# How long a second writer waits for the first before giving up cleanly.
LOCK_WAIT_SECONDS = 120
# The execution option that makes a SQLite transaction take the write lock at BEGIN.
_WRITER = "territorial_writer"


class WorkspaceError(BadInput):
    """The workspace cannot be used as it is (missing, outdated, unreachable)."""


def database_url(given: str | None) -> str:
    """The workspace's URL, from the option, else the environment, else ./territorial.db. A value
    without `://` is a SQLite file's path, as users write it (`territorial.db`, `./x.db`)."""
    if given is not None and not given.strip():
        # An empty option is a mistake (an unset shell variable, `--database-url ''`), not a request
        # for the default workspace. An empty TERRITORIAL_DATABASE_URL is unset, as shells treat it.
        raise WorkspaceError.at(
            "the database URL is empty; give a SQLite file's path (territorial.db) or "
            "postgresql://USER@HOST/DB, or leave the option out for ./territorial.db",
            "--database-url",
        )
    url = given or os.environ.get(URL_VARIABLE) or DEFAULT_URL
    if "://" not in url:
        return f"sqlite:///{url}"
    return url


def _source(given: str | None) -> str:
    """Where the URL came from, to name in an error."""
    return "--database-url" if given or not os.environ.get(URL_VARIABLE) else URL_VARIABLE


def describe(url: str) -> str:
    """The URL as the user may see it: without a password."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return repr(url)


def _parse(url: str, source: str) -> URL:
    """The URL, read: `postgres://` and `postgresql://` are PostgreSQL through psycopg 3."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url.removeprefix("postgres://")
    try:
        parsed = make_url(url)
        parsed.port  # noqa: B018  (a port that is not a number fails here, not when connecting)
    except (ArgumentError, ValueError):
        raise WorkspaceError.at(
            f"not a database URL: {url!r}; expected sqlite:///PATH, postgresql://USER@HOST/DB "
            "or a SQLite file's path",
            source,
        ) from None
    backend = parsed.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise WorkspaceError.at(
            f"only SQLite and PostgreSQL workspaces are supported, not {backend!r} "
            "(sqlite:///PATH or postgresql://USER@HOST/DB)",
            source,
        )
    if backend == "sqlite":
        _check_sqlite_file(url, parsed, source)
    if backend == "postgresql" and parsed.get_driver_name() != "psycopg":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def _check_sqlite_file(url: str, parsed: URL, source: str) -> None:
    """A workspace is a file: an in-memory database (sqlite://, :memory:) is gone when the command
    ends, so `init` on one would say "ready" for nothing; a folder cannot be opened as one."""
    database = parsed.database or ""
    in_memory = database in ("", ":memory:") or database.startswith("file::memory:")
    if in_memory or parsed.query.get("mode") == "memory":
        raise WorkspaceError.at(
            f"{url} is an in-memory database, lost when the command ends; "
            "a workspace must be a file: give its path, such as territorial.db",
            source,
        )
    if Path(database).is_dir():
        raise WorkspaceError.at(
            f"{database} is a folder; give a SQLite file's path, such as {Path(database) / 'territorial.db'}",
            source,
        )


# SQLite's page cache per connection, in KiB (taken as it is needed).
SQLITE_CACHE_KIB = 256 * 1024


def _engine(url: str, source: str = "--database-url") -> Engine:
    parsed = _parse(url, source)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(parsed, connect_args={"timeout": LOCK_WAIT_SECONDS})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # type: ignore[no-untyped-def]
            # Let SQLAlchemy's BEGIN (below) decide transactions. (Write-ahead logging, which lets
            # readers go on while a writer writes, is set when the workspace is created.)
            dbapi_connection.isolation_level = None
            dbapi_connection.execute("PRAGMA foreign_keys=ON")
            # Pages kept in memory, at most (the default 2 MB): an import rewriting 10,000 accounts'
            # live rows of a million updates index pages all over the table.
            dbapi_connection.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):  # type: ignore[no-untyped-def]
            # A writer takes the database's write lock at once, so two writers queue instead of
            # failing halfway; a reader takes no lock and, under WAL, never waits for a writer.
            writer = conn.get_execution_options().get(_WRITER, False)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if writer else "BEGIN")

        return engine
    return create_engine(parsed)


def _alembic_config(connection: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(files("territorial.store") / "migrations"))
    config.attributes["connection"] = connection
    return config


def _head() -> str:
    config = Config()
    config.set_main_option("script_location", str(files("territorial.store") / "migrations"))
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head is not None
    return head


@dataclass
class Workspace:
    url: str
    engine: Engine

    @property
    def name(self) -> str:
        return describe(self.url)

    @property
    def is_postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    @contextmanager
    def unit_of_work(self, write: bool = False, lock: str | None = None) -> Iterator[SqlUnitOfWork]:
        """One transaction: committed when the block ends, rolled back when it raises.

        A reader takes no lock (SQLite: a deferred transaction under WAL; PostgreSQL: a plain one).
        A writer takes the workspace's write lock named `lock`: BEGIN IMMEDIATE on SQLite, an
        advisory lock on PostgreSQL. A second writer waits for the first, then fails cleanly."""
        if write and not lock:
            raise ValueError("a writing unit of work names its lock")
        try:
            with self.engine.connect() as connection:
                connection.execution_options(**{_WRITER: write})
                with connection.begin():
                    if write and self.is_postgres:
                        connection.execute(text(f"SET LOCAL lock_timeout = '{LOCK_WAIT_SECONDS}s'"))
                        connection.execute(
                            text("SELECT pg_advisory_xact_lock(hashtext(:lock))"), {"lock": lock}
                        )
                    yield SqlUnitOfWork(connection, write)
        except OperationalError as err:
            if "locked" in str(err) or "lock timeout" in str(err):
                raise WorkspaceError.at(
                    f"another import or assignment is writing to the workspace; waited {LOCK_WAIT_SECONDS} s",
                    self.name,
                ) from None
            raise


def init_workspace(url: str | None) -> Workspace:
    """Create the database (SQLite file) if needed and bring its schema to the newest version."""
    resolved = database_url(url)
    workspace = Workspace(resolved, _engine(resolved, _source(url)))
    _refuse_another_applications(workspace)
    upgrade(workspace)
    return workspace


def _refuse_another_applications(workspace: Workspace) -> None:
    """A SQLite file that holds tables but no workspace schema belongs to something else: adding
    ours to it would mix two applications' data in one file."""
    if workspace.engine.dialect.name != "sqlite":
        return  # a PostgreSQL database is shared by design; our tables have their own names
    try:
        with workspace.engine.connect() as connection:
            tables = set(inspect(connection).get_table_names())
    except (DatabaseError, sqlite3.DatabaseError) as err:
        raise _cannot_open(err, workspace) from None
    if tables and "alembic_version" not in tables:
        shown = ", ".join(sorted(tables)[:5]) + (" ..." if len(tables) > 5 else "")
        raise WorkspaceError.at(
            f"this SQLite file holds another application's tables ({shown}), not a workspace; "
            "give --database-url a new file",
            workspace.name,
        )


def upgrade(workspace: Workspace) -> None:
    try:
        if workspace.engine.dialect.name == "sqlite":
            # Outside any transaction: SQLite cannot change its journal mode inside one.
            raw = workspace.engine.raw_connection()
            try:
                raw.driver_connection.execute("PRAGMA journal_mode=WAL")  # type: ignore[union-attr]
            finally:
                raw.close()
        with workspace.engine.connect() as connection:
            connection.execution_options(**{_WRITER: True})
            with connection.begin():
                command.upgrade(_alembic_config(connection), "head")
    except (DatabaseError, sqlite3.DatabaseError) as err:
        raise _cannot_open(err, workspace) from None


def _cannot_open(err: Exception, workspace: Workspace) -> BadInput:
    """A database the driver cannot use (a file that is not SQLite, a folder, a server that is not
    there): SQLAlchemy's error carries the driver's in `orig`; a raw SQLite connection's is its own."""
    return WorkspaceError.at(f"cannot open the database: {getattr(err, 'orig', err)}", workspace.name)


def open_workspace(url: str | None) -> Workspace:
    """An existing workspace whose schema is current; otherwise say what to run."""
    resolved = database_url(url)
    parsed = _parse(resolved, _source(url))
    if parsed.get_backend_name() == "sqlite" and parsed.database and not Path(parsed.database).exists():
        raise WorkspaceError.at("no workspace here; create one with `territorial init`", describe(resolved))
    workspace = Workspace(resolved, _engine(resolved, _source(url)))
    try:
        with workspace.engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_revision()
    except DatabaseError as err:
        raise _cannot_open(err, workspace) from None
    if current is None:
        raise WorkspaceError.at(
            "this database is not a workspace yet; run `territorial init`", workspace.name
        )
    head = _head()
    if current != head:
        raise WorkspaceError.at(
            f"the workspace schema is at version {current} but this Territorial needs {head}; "
            "run `territorial db upgrade`",
            workspace.name,
        )
    return workspace
