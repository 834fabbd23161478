"""The migrations build exactly the schema the code describes, on both back ends."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, text

from territorial.errors import BadInput
from territorial.store.tables import metadata
from territorial.store.workspace import _alembic_config, init_workspace, open_workspace


def test_migrations_match_the_table_definitions(workspace_url: str) -> None:
    workspace = init_workspace(workspace_url)
    with workspace.engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), metadata) == []


def test_upgrading_a_first_version_workspace_keeps_its_reps(workspace_url: str) -> None:
    engine = create_engine(workspace_url)
    try:
        with engine.begin() as connection:
            command.upgrade(_alembic_config(connection), "0001")
            connection.execute(text("INSERT INTO reps (rep_id, name, active) VALUES ('r1', 'Ann', true)"))
        with pytest.raises(BadInput, match="territorial db upgrade"):
            open_workspace(workspace_url)
        with engine.begin() as connection:
            command.upgrade(_alembic_config(connection), "head")
            rows = connection.execute(text("SELECT rep_id, name, lead_weight FROM reps")).all()
    finally:
        engine.dispose()
    assert [tuple(row) for row in rows] == [("r1", "Ann", None)]
    workspace = open_workspace(workspace_url)
    with workspace.engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), metadata) == []


def test_init_and_upgrade_again_on_an_existing_workspace(workspace_url: str) -> None:
    """Upgrading a current workspace is a no-op, not an error (SQLite once refused to switch to WAL
    inside the upgrade's transaction)."""
    init_workspace(workspace_url)
    again = init_workspace(workspace_url)
    assert open_workspace(workspace_url).name == again.name


def test_plans_stored_before_the_lifecycle_become_drafts(workspace_url: str) -> None:
    engine = create_engine(workspace_url)
    try:
        with engine.begin() as connection:
            command.upgrade(_alembic_config(connection), "0004")
            connection.execute(
                text(
                    "INSERT INTO plans (name, file_name, source, created_at) "
                    "VALUES ('Old', 'old.yaml', 'name: Old', '2026-01-01 00:00:00')"
                )
            )
        with engine.begin() as connection:
            command.upgrade(_alembic_config(connection), "head")
            rows = connection.execute(text("SELECT name, state, effective FROM plans")).all()
    finally:
        engine.dispose()
    assert [tuple(row) for row in rows] == [("Old", "draft", None)]
