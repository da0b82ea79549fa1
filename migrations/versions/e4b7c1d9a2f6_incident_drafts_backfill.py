"""incidents: draft and backfilled flags

A draft incident is kept out of the status page and announced only when published; a
backfilled one was entered after the fact and is never announced. Existing incidents are
neither (the server default).

Revision ID: e4b7c1d9a2f6
Revises: e7a1c5d9b3f2
Create Date: 2026-12-01 13:35:00

"""
from alembic import op
import sqlalchemy as sa


revision = "e4b7c1d9a2f6"
down_revision = "e7a1c5d9b3f2"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("incidents", sa.Column("draft", sa.Boolean(), nullable=False,
                                         server_default=sa.false()))
    op.add_column("incidents", sa.Column("backfilled", sa.Boolean(), nullable=False,
                                         server_default=sa.false()))
    op.create_index("ix_incidents_draft", "incidents", ["draft"])


def downgrade():
    # Plain DROP COLUMN (SQLite 3.35+ has it), not a batch rebuild: rebuilding "incidents"
    # with foreign keys on would cascade-delete every incident's updates.
    op.drop_index("ix_incidents_draft", table_name="incidents")
    op.drop_column("incidents", "backfilled")
    op.drop_column("incidents", "draft")
