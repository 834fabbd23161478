"""The migrations build exactly the schema the code describes, on both back ends."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from territorial.store.tables import metadata
from territorial.store.workspace import init_workspace


def test_migrations_match_the_table_definitions(workspace_url: str) -> None:
    workspace = init_workspace(workspace_url)
    with workspace.engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), metadata) == []
