"""Roster changes (#19 slice 4): reps joining, leaving and moving, today or scheduled for `tick`.

Revision ID: 0009
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "roster_changes",
        sa.Column("change_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("rep_id", sa.String(length=255), nullable=False),
        sa.Column("territory_id", sa.String(length=255), nullable=True),
        sa.Column("book_until", sa.Date(), nullable=True),
        sa.Column("effective", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("requested_at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(length=255), nullable=True),
        sa.Column("applied_at", sa.DateTime(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("change_id"),
    )
    op.create_index("ix_roster_changes_effective", "roster_changes", ["status", "effective"])


def downgrade() -> None:
    op.drop_table("roster_changes")
