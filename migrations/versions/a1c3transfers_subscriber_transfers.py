"""subscriber transfers

Revision ID: a1c3transfers
Revises: a7c3e91d2b40
Create Date: 2026-12-01 10:08:07.192764

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a1c3transfers'
down_revision = 'a7c3e91d2b40'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('subscriber_transfers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('state', sa.String(length=8), nullable=False),
    sa.Column('status_filter', sa.String(length=16), nullable=True),
    sa.Column('search', sa.String(length=254), nullable=True),
    sa.Column('mode', sa.String(length=32), nullable=True),
    sa.Column('original_name', sa.String(length=255), nullable=True),
    sa.Column('file_name', sa.String(length=64), nullable=True),
    sa.Column('phase', sa.String(length=16), nullable=True),
    sa.Column('rows_done', sa.Integer(), nullable=False),
    sa.Column('rows_total', sa.Integer(), nullable=True),
    sa.Column('bytes_done', sa.BigInteger(), nullable=False),
    sa.Column('bytes_total', sa.BigInteger(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('result', sa.JSON(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=True),
    sa.Column('heartbeat_at', sa.DateTime(), nullable=True),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['admin_users.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('subscriber_transfers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_subscriber_transfers_state'), ['state'], unique=False)

    op.create_table('subscriber_import_rows',
    sa.Column('transfer_id', sa.Integer(), nullable=False),
    sa.Column('line', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=True),
    sa.Column('confirmed_at', sa.DateTime(), nullable=True),
    sa.Column('unsubscribed_at', sa.DateTime(), nullable=True),
    sa.Column('all_components', sa.Boolean(), nullable=True),
    sa.Column('notify_incidents', sa.Boolean(), nullable=True),
    sa.Column('notify_maintenance', sa.Boolean(), nullable=True),
    sa.Column('notify_component_changes', sa.Boolean(), nullable=True),
    sa.Column('components', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['transfer_id'], ['subscriber_transfers.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('transfer_id', 'line')
    )
    with op.batch_alter_table('subscriber_import_rows', schema=None) as batch_op:
        batch_op.create_index('ix_import_rows_email', ['transfer_id', 'email', 'line'], unique=False)



def downgrade():
    with op.batch_alter_table('subscriber_import_rows', schema=None) as batch_op:
        batch_op.drop_index('ix_import_rows_email')

    op.drop_table('subscriber_import_rows')
    with op.batch_alter_table('subscriber_transfers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_subscriber_transfers_state'))

    op.drop_table('subscriber_transfers')
