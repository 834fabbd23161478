"""Leads keep what the CRM says of them now: owner, lifecycle stage, converted (#24).

Revision ID: 0027
Revises: 0026
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("leads") as batch:
        batch.add_column(sa.Column("owner_id", sa.Text(), nullable=True))
        batch.add_column(sa.Column("lifecycle_stage", sa.Text(), nullable=True))
        batch.add_column(sa.Column("converted", sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("leads") as batch:
        batch.drop_column("converted")
        batch.drop_column("lifecycle_stage")
        batch.drop_column("owner_id")
