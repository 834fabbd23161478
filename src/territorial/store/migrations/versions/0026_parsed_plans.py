"""Parsed plans kept with their activation (#19): re-evaluating an import reads the active plan
without parsing its YAML and rules again (a 5,000-territory plan takes seconds to parse). And the
live rows indexed by territory and rep: the pools' loads are counted from the index (7× faster on
350,000 live rows in SQLite than by scanning the table).

Revision ID: 0026
Revises: 0025
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "parsed_plans",
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["plan_id"], ["plans.plan_id"]),
        sa.PrimaryKeyConstraint("plan_id"),
    )
    op.create_index("ix_live_assignments_territory", "live_assignments", ["territory_id", "rep_id"])


def downgrade() -> None:
    op.drop_index("ix_live_assignments_territory", table_name="live_assignments")
    op.drop_table("parsed_plans")
