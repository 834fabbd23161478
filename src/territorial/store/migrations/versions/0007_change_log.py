"""The change log (#19): every change of the live assignment is a change set (an activation, an
import, a tick, an override, a hold, a roster change) with the rows it moved.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "change_sets",
        sa.Column("change_set_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("effective", sa.Date(), nullable=False),
        sa.Column("actor", sa.String(length=255), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=True),
        sa.Column("changes", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("change_set_id"),
    )
    op.create_table(
        "assignment_changes",
        sa.Column("change_set_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.String(length=255), nullable=False),
        sa.Column("layer", sa.String(length=64), nullable=False),
        sa.Column("from_territory_id", sa.String(length=255), nullable=True),
        sa.Column("from_rep_id", sa.String(length=255), nullable=True),
        sa.Column("to_territory_id", sa.String(length=255), nullable=True),
        sa.Column("to_rep_id", sa.String(length=255), nullable=True),
        sa.Column("cause", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("change_set_id", "account_id", "layer"),
    )
    op.create_index("ix_assignment_changes_account", "assignment_changes", ["account_id"])


def downgrade() -> None:
    op.drop_table("assignment_changes")
    op.drop_table("change_sets")
