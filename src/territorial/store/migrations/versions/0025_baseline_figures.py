"""Each activation's and run's per-territory figures, which `drift` compares with today's (#20 slice 5).

Revision ID: 0025
Revises: 0024
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "baseline_figures",
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("ref_id", sa.Integer(), nullable=False),
        sa.Column("territory_id", sa.String(length=255), nullable=False),
        sa.Column("measure", sa.String(length=255), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "ref_id", "territory_id", "measure"),
    )


def downgrade() -> None:
    op.drop_table("baseline_figures")
