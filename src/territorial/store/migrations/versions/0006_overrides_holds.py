"""Overrides and holds (#19 slice 2): accounts pinned to a territory and/or rep, and accounts kept
where they are until a day.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "overrides",
        sa.Column("override_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account_id", sa.String(length=255), nullable=False),
        sa.Column("layer", sa.String(length=64), nullable=False),
        sa.Column("territory_id", sa.String(length=255), nullable=True),
        sa.Column("rep_id", sa.String(length=255), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(length=255), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("until", sa.Date(), nullable=True),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.Column("end_cause", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("override_id"),
    )
    op.create_index("ix_overrides_account", "overrides", ["account_id"])
    op.create_table(
        "holds",
        sa.Column("hold_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account_id", sa.String(length=255), nullable=False),
        sa.Column("layer", sa.String(length=64), nullable=False),
        sa.Column("territory_id", sa.String(length=255), nullable=True),
        sa.Column("rep_id", sa.String(length=255), nullable=False),
        sa.Column("actor", sa.String(length=255), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("until", sa.Date(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.Column("end_cause", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("hold_id"),
    )
    op.create_index("ix_holds_account", "holds", ["account_id"])


def downgrade() -> None:
    op.drop_table("holds")
    op.drop_table("overrides")
