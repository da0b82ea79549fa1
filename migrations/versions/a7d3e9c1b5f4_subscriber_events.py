"""subscriber events: who added an address or marked it confirmed, with the consent note

Revision ID: a7d3e9c1b5f4
Revises: b3d5f7a9c1e2
Create Date: 2026-12-01 16:05:00

"""
from alembic import op
import sqlalchemy as sa


revision = "a7d3e9c1b5f4"
down_revision = "b3d5f7a9c1e2"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "subscriber_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subscriber_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("actor", sa.String(length=254), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("consent_note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["subscriber_id"], ["subscribers.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_subscriber_events_subscriber_id", "subscriber_events",
                    ["subscriber_id"])


def downgrade():
    op.drop_index("ix_subscriber_events_subscriber_id", table_name="subscriber_events")
    op.drop_table("subscriber_events")
