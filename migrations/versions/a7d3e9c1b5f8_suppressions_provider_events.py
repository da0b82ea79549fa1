"""suppressions, SendGrid provider events and the event webhook's key

Revision ID: a7d3e9c1b5f8
Revises: c4e8a2f6b1d9
Create Date: 2026-12-01 16:10:00

"""
from alembic import op
import sqlalchemy as sa


revision = "a7d3e9c1b5f8"
down_revision = "c4e8a2f6b1d9"
branch_labels = None
depends_on = None

ACTIVE = sa.text("lifted_at IS NULL")


def upgrade():
    op.create_table(
        "suppressions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("subscriber_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("notification_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("lifted_at", sa.DateTime(), nullable=True),
        sa.Column("lifted_by", sa.String(length=254), nullable=True),
        sa.Column("lift_note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["notification_id"], ["notifications.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["subscriber_id"], ["subscribers.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,
    )
    op.create_index("uq_suppressions_active_email", "suppressions", ["email"], unique=True,
                    postgresql_where=ACTIVE, sqlite_where=ACTIVE)
    op.create_index("ix_suppressions_email", "suppressions", ["email"])
    op.create_index("ix_suppressions_subscriber_id", "suppressions", ["subscriber_id"])
    op.create_index("ix_suppressions_notification_id", "suppressions", ["notification_id"])

    op.create_table(
        "provider_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sg_event_id", sa.String(length=100), nullable=False),
        sa.Column("sg_message_id", sa.String(length=255), nullable=True),
        sa.Column("event", sa.String(length=32), nullable=False),
        sa.Column("bounce_type", sa.String(length=32), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("subscriber_id", sa.Integer(), nullable=True),
        sa.Column("notification_id", sa.Integer(), nullable=True),
        sa.Column("delivery_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=64), nullable=True),
        sa.Column("occurred_at", sa.DateTime(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["delivery_id"], ["deliveries.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["notification_id"], ["notifications.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["subscriber_id"], ["subscribers.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("sg_event_id"),
    )
    op.create_index("ix_provider_events_email_event", "provider_events",
                    ["email", "event", "occurred_at"])
    op.create_index("ix_provider_events_occurred_at", "provider_events", ["occurred_at"])
    op.create_index("ix_provider_events_notification_id", "provider_events", ["notification_id"])
    op.create_index("ix_provider_events_subscriber_id", "provider_events", ["subscriber_id"])
    op.create_index("ix_provider_events_delivery_id", "provider_events", ["delivery_id"])

    op.create_table(
        "event_webhook_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sendgrid_public_key", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("updated_by", sa.String(length=254), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade():
    op.drop_table("event_webhook_settings")
    op.drop_table("provider_events")
    op.drop_table("suppressions")
