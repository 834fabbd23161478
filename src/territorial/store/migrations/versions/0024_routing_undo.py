"""Routing runs that can be undone (#24): where each pool stood before a run moved it, and who undid
a run when.

Revision ID: 0024
Revises: 0021
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "routing_pool_moves",
        sa.Column("route_run_id", sa.Integer(), nullable=False),
        sa.Column("territory_id", sa.String(length=255), nullable=False),
        sa.Column("state_before", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["route_run_id"], ["routing_runs.route_run_id"]),
        sa.PrimaryKeyConstraint("route_run_id", "territory_id"),
    )
    with op.batch_alter_table("routing_runs") as batch:
        batch.add_column(sa.Column("undone_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("undone_by", sa.String(length=255), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("routing_runs") as batch:
        batch.drop_column("undone_by")
        batch.drop_column("undone_at")
    op.drop_table("routing_pool_moves")
