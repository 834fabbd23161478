"""Each routing decision keeps the lead's owner in the CRM when it was routed (#24): an owner update
leaves out the leads whose CRM owner is already the rep they were routed to.

Revision ID: 0032
Revises: 0031
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0032"
down_revision = "0031"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("routing_decisions") as batch:
        batch.add_column(sa.Column("crm_owner", sa.Text(), nullable=True))
        batch.add_column(sa.Column("crm_owner_rep_id", sa.String(length=255), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("routing_decisions") as batch:
        batch.drop_column("crm_owner_rep_id")
        batch.drop_column("crm_owner")
