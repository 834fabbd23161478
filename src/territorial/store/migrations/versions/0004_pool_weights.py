"""The weight each pool rep had in a routing run, so the fairness report judges every lead by the
weights in force when it was routed (a reps file's, or the workspace's then).

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "routing_pool_weights",
        sa.Column("route_run_id", sa.Integer(), nullable=False),
        sa.Column("territory_id", sa.String(length=255), nullable=False),
        sa.Column("rep_id", sa.String(length=255), nullable=False),
        sa.Column("weight", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["route_run_id"], ["routing_runs.route_run_id"]),
        sa.PrimaryKeyConstraint("route_run_id", "territory_id", "rep_id"),
    )


def downgrade() -> None:
    op.drop_table("routing_pool_weights")
