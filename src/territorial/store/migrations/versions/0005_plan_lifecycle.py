"""Plan lifecycle (#19): plan states and effective dates (stored plans become drafts), the files a
plan references, activations, the rep roster and the live assignment.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("plans") as batch:
        batch.add_column(sa.Column("state", sa.String(length=16), nullable=False, server_default="draft"))
        batch.add_column(sa.Column("effective", sa.Date(), nullable=True))
    op.create_table(
        "plan_files",
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("path", sa.String(length=1024), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["plan_id"], ["plans.plan_id"]),
        sa.PrimaryKeyConstraint("plan_id", "path"),
    )
    op.create_table(
        "activations",
        sa.Column("activation_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("effective", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("from_state", sa.String(length=16), nullable=False),
        sa.Column("requested_at", sa.DateTime(), nullable=False),
        sa.Column("applied_at", sa.DateTime(), nullable=True),
        sa.Column("skipped_checks", sa.Boolean(), nullable=False, server_default="0"),
        sa.Column("actor", sa.String(length=255), nullable=True),
        sa.ForeignKeyConstraint(["plan_id"], ["plans.plan_id"]),
        sa.PrimaryKeyConstraint("activation_id"),
    )
    op.create_index("ix_activations_effective", "activations", ["effective"])
    op.create_table(
        "roster",
        sa.Column("roster_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("activation_id", sa.Integer(), nullable=True),
        sa.Column("territory_id", sa.String(length=255), nullable=False),
        sa.Column("rep_id", sa.String(length=255), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(["activation_id"], ["activations.activation_id"]),
        sa.PrimaryKeyConstraint("roster_id"),
    )
    op.create_index("ix_roster_current", "roster", ["valid_to", "territory_id"])
    op.create_table(
        "live_reasons",
        sa.Column("reason_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("reason_id"),
    )
    op.create_table(
        "live_assignments",
        sa.Column("account_id", sa.String(length=255), nullable=False),
        sa.Column("layer", sa.String(length=64), nullable=False),
        sa.Column("territory_id", sa.String(length=255), nullable=True),
        sa.Column("rep_id", sa.String(length=255), nullable=True),
        sa.Column("overlaps", sa.Text(), nullable=False),
        sa.Column("tie", sa.Boolean(), nullable=False),
        sa.Column("reason_id", sa.Integer(), nullable=False),
        sa.Column("cause", sa.Text(), nullable=False),
        sa.Column("since", sa.Date(), nullable=False),
        sa.Column("activation_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "layer"),
    )
    op.create_index("ix_live_assignments_rep", "live_assignments", ["rep_id"])


def downgrade() -> None:
    op.drop_table("live_assignments")
    op.drop_table("live_reasons")
    op.drop_table("roster")
    op.drop_table("activations")
    op.drop_table("plan_files")
    with op.batch_alter_table("plans") as batch:
        batch.drop_column("effective")
        batch.drop_column("state")
