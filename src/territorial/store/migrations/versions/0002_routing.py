"""Lead routing: rep lead weights and caps, the routing audit and the round-robin pools.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("reps") as batch:
        batch.add_column(sa.Column("lead_weight", sa.Float(), nullable=True))
        batch.add_column(sa.Column("daily_lead_cap", sa.Float(), nullable=True))
        batch.add_column(sa.Column("monthly_lead_cap", sa.Float(), nullable=True))
    op.create_table(
        "routing_runs",
        sa.Column("route_run_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=True),
        sa.Column("plan_name", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("leads", sa.Integer(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(["plan_id"], ["plans.plan_id"]),
        sa.PrimaryKeyConstraint("route_run_id"),
    )
    op.create_table(
        "routing_decisions",
        sa.Column("decision_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("route_run_id", sa.Integer(), nullable=False),
        sa.Column("lead_id", sa.String(length=255), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("lead_day", sa.Date(), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("rep_id", sa.String(length=255), nullable=True),
        sa.Column("territory_id", sa.String(length=255), nullable=True),
        sa.Column("matched_account_id", sa.String(length=255), nullable=True),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("relevance", sa.Float(), nullable=True),
        sa.Column("product", sa.Text(), nullable=True),
        sa.Column("queue", sa.String(length=255), nullable=True),
        sa.Column("in_pool", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["route_run_id"], ["routing_runs.route_run_id"]),
        sa.PrimaryKeyConstraint("decision_id"),
    )
    op.create_index("ix_routing_decisions_lead", "routing_decisions", ["lead_id"])
    op.create_index("ix_routing_decisions_email", "routing_decisions", ["email"])
    op.create_index("ix_routing_decisions_day", "routing_decisions", ["lead_day"])
    op.create_table(
        "routing_pools",
        sa.Column("territory_id", sa.String(length=255), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("territory_id"),
    )


def downgrade() -> None:
    op.drop_table("routing_pools")
    op.drop_index("ix_routing_decisions_day", "routing_decisions")
    op.drop_index("ix_routing_decisions_email", "routing_decisions")
    op.drop_index("ix_routing_decisions_lead", "routing_decisions")
    op.drop_table("routing_decisions")
    op.drop_table("routing_runs")
    with op.batch_alter_table("reps") as batch:
        batch.drop_column("monthly_lead_cap")
        batch.drop_column("daily_lead_cap")
        batch.drop_column("lead_weight")
