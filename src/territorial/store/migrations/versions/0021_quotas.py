"""Quotas allocated per period, territory and rep (#20 slice 3).

Revision ID: 0021
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "quotas",
        sa.Column("quota_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("period", sa.String(length=32), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("layer", sa.String(length=255), nullable=False),
        sa.Column("territory_id", sa.String(length=255), nullable=False),
        sa.Column("rep_id", sa.String(length=255), nullable=True),
        sa.Column("amount", sa.Float(), nullable=False),
        sa.Column("actor", sa.String(length=255), nullable=True),
        sa.Column("saved_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("quota_id"),
    )
    op.create_index("ix_quotas_period", "quotas", ["period_start", "period_end"])


def downgrade() -> None:
    op.drop_index("ix_quotas_period", table_name="quotas")
    op.drop_table("quotas")
