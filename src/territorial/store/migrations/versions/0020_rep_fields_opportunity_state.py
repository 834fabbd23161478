"""Reps keep custom fields as accounts do; opportunities gain is_closed and probability, and their
history of stages, amounts and expected close days (#20).

Revision ID: 0020
Revises: 0022
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("reps") as batch:
        batch.add_column(sa.Column("custom", sa.Text(), nullable=True))
    with op.batch_alter_table("opportunities") as batch:
        batch.add_column(sa.Column("is_closed", sa.Boolean(), nullable=True))
        batch.add_column(sa.Column("probability", sa.Float(), nullable=True))
    op.create_table(
        "opportunity_history",
        sa.Column("history_id", sa.String(length=255), nullable=False),
        sa.Column("opportunity_id", sa.Text(), nullable=True),
        sa.Column("changed", sa.Date(), nullable=True),
        sa.Column("stage", sa.Text(), nullable=True),
        sa.Column("amount", sa.Float(), nullable=True),
        sa.Column("expected_close", sa.Date(), nullable=True),
        sa.Column("probability", sa.Float(), nullable=True),
        sa.Column("active", sa.Boolean(), server_default="1", nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("history_id"),
    )


def downgrade() -> None:
    op.drop_table("opportunity_history")
    with op.batch_alter_table("opportunities") as batch:
        batch.drop_column("probability")
        batch.drop_column("is_closed")
    with op.batch_alter_table("reps") as batch:
        batch.drop_column("custom")
