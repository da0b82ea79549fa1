"""recovery: mark deliveries that may have been sent before their worker died

Revision ID: b7d1c2e9a4f0
Revises: a1c3transfers
Create Date: 2026-12-01 09:50:00

"""
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op


revision = 'b7d1c2e9a4f0'
down_revision = 'a1c3transfers'
branch_labels = None
depends_on = None


def _on_sqlite():
    return op.get_bind().dialect.name == "sqlite"


@contextmanager
def _sqlite_foreign_keys_off():
    """SQLite rebuilds a table to change it (copy, DROP, rename); with foreign keys on,
    the DROP deletes every row that cascades from the table. The PRAGMA is ignored
    inside a transaction: commit first, switch it outside one (as the links migration)."""
    if not _on_sqlite():
        yield
        return
    context = op.get_context()
    with context.autocommit_block():
        op.execute("PRAGMA foreign_keys=OFF")
    try:
        yield
        dangling = op.get_bind().exec_driver_sql("PRAGMA foreign_key_check").all()
        if dangling:
            raise RuntimeError(f"foreign keys broken by a table rebuild: {dangling[:5]}")
    finally:
        with context.autocommit_block():
            op.execute("PRAGMA foreign_keys=ON")


def upgrade():
    with _sqlite_foreign_keys_off():
        with op.batch_alter_table('deliveries') as batch_op:
            batch_op.add_column(sa.Column('maybe_sent_before', sa.Boolean(), nullable=False,
                                          server_default=sa.false()))
        with op.batch_alter_table('notifications') as batch_op:
            batch_op.add_column(sa.Column('maybe_sent_twice', sa.Integer(), nullable=False,
                                          server_default='0'))


def downgrade():
    with _sqlite_foreign_keys_off():
        with op.batch_alter_table('notifications') as batch_op:
            batch_op.drop_column('maybe_sent_twice')
        with op.batch_alter_table('deliveries') as batch_op:
            batch_op.drop_column('maybe_sent_before')
