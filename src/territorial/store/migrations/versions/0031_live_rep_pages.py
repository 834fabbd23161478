"""A rep's live rows by account id (#22 slice 6): GET /accounts?rep=ID reads one page of the rep's
accounts from the index in id order, instead of every account the rep holds. A rep's routing
decisions by rep: what a rep or a manager may see reads their leads, not every lead's.

Revision ID: 0031
Revises: 0030
"""

from __future__ import annotations

from alembic import op

revision = "0031"
down_revision = "0030"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_live_assignments_rep", table_name="live_assignments")
    op.create_index("ix_live_assignments_rep", "live_assignments", ["rep_id", "account_id"])
    op.create_index("ix_routing_decisions_rep", "routing_decisions", ["rep_id"])


def downgrade() -> None:
    op.drop_index("ix_routing_decisions_rep", table_name="routing_decisions")
    op.drop_index("ix_live_assignments_rep", table_name="live_assignments")
    op.create_index("ix_live_assignments_rep", "live_assignments", ["rep_id"])
