"""delivery log: a partial index of the deliveries waiting for a retry

Revision ID: c4e8f1a2d6b3
Revises: f3b9d1a7c2e5
Create Date: 2026-12-01 13:30:00

The delivery log lists a notice's deferred deliveries a page at a time, in id order:
with this index a page reads its rows whatever the notice's size, and the plain fan-out
(queued without a retry time, then sent) never writes to it.
"""
from alembic import op
import sqlalchemy as sa


revision = 'c4e8f1a2d6b3'
down_revision = 'f3b9d1a7c2e5'
branch_labels = None
depends_on = None

DEFERRED = "state = 'queued' AND next_attempt_at IS NOT NULL"


def upgrade():
    op.create_index('ix_deliveries_deferred', 'deliveries', ['notification_id', 'id'],
                    unique=False, postgresql_where=sa.text(DEFERRED),
                    sqlite_where=sa.text(DEFERRED))


def downgrade():
    op.drop_index('ix_deliveries_deferred', table_name='deliveries')
