"""recovery: mark deliveries that may have been sent before their worker died

Revision ID: b7d1c2e9a4f0
Revises: a1c3transfers
Create Date: 2026-12-01 09:50:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'b7d1c2e9a4f0'
down_revision = 'a1c3transfers'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('deliveries') as batch_op:
        batch_op.add_column(sa.Column('maybe_sent_before', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    with op.batch_alter_table('notifications') as batch_op:
        batch_op.add_column(sa.Column('maybe_sent_twice', sa.Integer(), nullable=False,
                                      server_default='0'))


def downgrade():
    with op.batch_alter_table('notifications') as batch_op:
        batch_op.drop_column('maybe_sent_twice')
    with op.batch_alter_table('deliveries') as batch_op:
        batch_op.drop_column('maybe_sent_before')
