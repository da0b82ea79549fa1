"""maintenance: per-stage notices, reminders and updates during a window

Windows get a switch per stage (announce when scheduled, remind, started, completed) and
a reminder (lead time, when it is due, when it went out); the settings get the defaults.
Updates during a window get their own table. Existing windows keep announcing every
stage and get no reminder (they were scheduled without one).

Columns are added and dropped with plain ALTER TABLE (SQLite 3.35+ drops columns in
place), so no table is rebuilt and nothing that points at a window cascades away.

Revision ID: e5b7c9d1f3a2
Revises: c4e8f1a2d6b3
Create Date: 2026-12-01 13:35:00

"""
from alembic import op
import sqlalchemy as sa


revision = "e5b7c9d1f3a2"
down_revision = "c4e8f1a2d6b3"
branch_labels = None
depends_on = None

WINDOW_STAGES = ("notify_scheduled", "notify_reminder", "notify_started", "notify_completed")
SETTINGS_STAGES = ("maintenance_notify_scheduled", "maintenance_notify_started",
                   "maintenance_notify_completed")


def upgrade():
    for name in WINDOW_STAGES:
        op.add_column("maintenances", sa.Column(name, sa.Boolean(), nullable=False,
                                                server_default=sa.true()))
    op.add_column("maintenances", sa.Column("reminder_minutes", sa.Integer(), nullable=False,
                                            server_default="0"))
    op.add_column("maintenances", sa.Column("remind_at", sa.DateTime(), nullable=True))
    op.add_column("maintenances", sa.Column("reminder_sent_at", sa.DateTime(), nullable=True))
    op.create_index("ix_maintenances_remind_at", "maintenances", ["remind_at"])

    op.add_column("site_settings", sa.Column("maintenance_reminder_minutes", sa.Integer(),
                                             nullable=False, server_default="60"))
    for name in SETTINGS_STAGES:
        op.add_column("site_settings", sa.Column(name, sa.Boolean(), nullable=False,
                                                 server_default=sa.true()))

    op.create_table(
        "maintenance_updates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("maintenance_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["maintenance_id"], ["maintenances.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_maintenance_updates_maintenance_id", "maintenance_updates",
                    ["maintenance_id"])


def downgrade():
    op.drop_index("ix_maintenance_updates_maintenance_id", table_name="maintenance_updates")
    op.drop_table("maintenance_updates")
    for name in ("maintenance_reminder_minutes", *SETTINGS_STAGES):
        op.drop_column("site_settings", name)
    op.drop_index("ix_maintenances_remind_at", table_name="maintenances")
    for name in (*WINDOW_STAGES, "reminder_minutes", "remind_at", "reminder_sent_at"):
        op.drop_column("maintenances", name)
