"""audit log: the security event log grows into the audit log of every operator action

The table is renamed (one log, not two), gains the API token's name, a summary and
indexes for the admin page's filters; the audit log has its own retention setting.

Revision ID: c4e8a2f6b1d9
Revises: f1c8a3e5b7d2
Create Date: 2026-12-01 16:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'c4e8a2f6b1d9'
down_revision = 'f1c8a3e5b7d2'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('security_events', schema=None) as batch_op:
        batch_op.drop_index('ix_security_events_created_at')
    op.rename_table('security_events', 'audit_events')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.alter_column('kind', existing_type=sa.String(length=40),
                              type_=sa.String(length=60), existing_nullable=False)
        batch_op.add_column(sa.Column('actor_token', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('summary', sa.String(length=300), nullable=True))
        batch_op.create_index(batch_op.f('ix_audit_events_created_at'), ['created_at'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_audit_events_kind'), ['kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_events_actor_email'), ['actor_email'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_audit_events_actor_token'), ['actor_token'],
                              unique=False)
    with op.batch_alter_table('site_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('audit_retention_days', sa.Integer(), nullable=False,
                                      server_default='365'))


def downgrade():
    with op.batch_alter_table('site_settings', schema=None) as batch_op:
        batch_op.drop_column('audit_retention_days')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_events_actor_token'))
        batch_op.drop_index(batch_op.f('ix_audit_events_actor_email'))
        batch_op.drop_index(batch_op.f('ix_audit_events_kind'))
        batch_op.drop_index(batch_op.f('ix_audit_events_created_at'))
        batch_op.drop_column('summary')
        batch_op.drop_column('actor_token')
        batch_op.alter_column('kind', existing_type=sa.String(length=60),
                              type_=sa.String(length=40), existing_nullable=False)
    op.rename_table('audit_events', 'security_events')
    with op.batch_alter_table('security_events', schema=None) as batch_op:
        batch_op.create_index('ix_security_events_created_at', ['created_at'], unique=False)
