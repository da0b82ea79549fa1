"""links: a random link key per subscriber, and subscriber ids never reused on SQLite

Every confirm, manage and unsubscribe link is bound to ``subscribers.link_key``; existing
rows get a random key here, so links mailed before this version stop working (they named
only an id, which SQLite handed to the next subscriber after a deletion). On SQLite the
table is rebuilt with AUTOINCREMENT, with foreign keys off for the rebuild: dropping the
old table with them on would cascade-delete every subscriber's preferences and mail records.

Revision ID: 5c1e8d2a9b47
Revises: b7d1c2e9a4f0
Create Date: 2026-12-01 09:50:00

"""
import secrets
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op

revision = '5c1e8d2a9b47'
down_revision = 'b7d1c2e9a4f0'
branch_labels = None
depends_on = None

LINK_KEY_BYTES = 16
BACKFILL_CHUNK = 1000


def _on_sqlite():
    return op.get_bind().dialect.name == "sqlite"


@contextmanager
def _sqlite_foreign_keys_off():
    """SQLite ignores this PRAGMA inside a transaction: commit first, switch it outside one."""
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
            raise RuntimeError(f"foreign keys broken by the subscribers rebuild: {dangling[:5]}")
    finally:
        with context.autocommit_block():
            op.execute("PRAGMA foreign_keys=ON")


def _backfill_link_keys():
    bind = op.get_bind()
    subscribers = sa.table("subscribers", sa.column("id", sa.Integer),
                           sa.column("link_key", sa.String))
    ids = bind.execute(sa.select(subscribers.c.id).where(subscribers.c.link_key.is_(None))
                       ).scalars().all()
    statement = (sa.update(subscribers).where(subscribers.c.id == sa.bindparam("row_id"))
                 .values(link_key=sa.bindparam("key")))
    for start in range(0, len(ids), BACKFILL_CHUNK):
        bind.execute(statement, [{"row_id": row_id, "key": secrets.token_urlsafe(LINK_KEY_BYTES)}
                                 for row_id in ids[start:start + BACKFILL_CHUNK]])


def upgrade():
    with _sqlite_foreign_keys_off():
        with op.batch_alter_table('subscribers', schema=None) as batch_op:
            batch_op.add_column(sa.Column('link_key', sa.String(length=32), nullable=True))
            batch_op.add_column(sa.Column('links_reset_at', sa.DateTime(), nullable=True))
        _backfill_link_keys()
        with op.batch_alter_table('subscribers', schema=None,
                                  recreate="always" if _on_sqlite() else "auto",
                                  table_kwargs={"sqlite_autoincrement": True}) as batch_op:
            batch_op.alter_column('link_key', existing_type=sa.String(length=32),
                                  nullable=False)


def downgrade():
    with _sqlite_foreign_keys_off():
        with op.batch_alter_table('subscribers', schema=None,
                                  recreate="always" if _on_sqlite() else "auto",
                                  table_kwargs={"sqlite_autoincrement": False}) as batch_op:
            batch_op.drop_column('links_reset_at')
            batch_op.drop_column('link_key')
