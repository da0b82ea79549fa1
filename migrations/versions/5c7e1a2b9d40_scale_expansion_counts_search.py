"""scale: audience expansion in a job, maintained counts, search indexes

Publishing no longer writes deliveries in the request: a notification records its
audience (components, highest subscriber id) and a job expands it in chunks, with a
cursor and a lease. Subscriber counts by status and delivery counts by state are kept by
triggers in tables of their own, and subscribers get a substring search index
(pg_trgm on PostgreSQL, FTS5 trigram on SQLite). The SQL is copied here, not imported,
so this migration keeps meaning what it meant when later code changes.

Revision ID: 5c7e1a2b9d40
Revises: c4a9e1f3b2d7
Create Date: 2026-12-01 10:20:00

"""
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op


revision = "5c7e1a2b9d40"
down_revision = "c4a9e1f3b2d7"
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


SQLITE_TRIGGERS = [
    """CREATE TRIGGER subscribers_count_insert AFTER INSERT ON subscribers BEGIN
         INSERT INTO subscriber_status_counts (status, total) VALUES (NEW.status, 1)
         ON CONFLICT (status) DO UPDATE SET total = total + 1;
       END""",
    """CREATE TRIGGER subscribers_count_delete AFTER DELETE ON subscribers BEGIN
         INSERT INTO subscriber_status_counts (status, total) VALUES (OLD.status, -1)
         ON CONFLICT (status) DO UPDATE SET total = total - 1;
       END""",
    """CREATE TRIGGER subscribers_count_update AFTER UPDATE OF status ON subscribers
       WHEN OLD.status <> NEW.status BEGIN
         INSERT INTO subscriber_status_counts (status, total) VALUES (OLD.status, -1)
         ON CONFLICT (status) DO UPDATE SET total = total - 1;
         INSERT INTO subscriber_status_counts (status, total) VALUES (NEW.status, 1)
         ON CONFLICT (status) DO UPDATE SET total = total + 1;
       END""",
    """CREATE TRIGGER deliveries_count_insert AFTER INSERT ON deliveries BEGIN
         INSERT INTO delivery_state_counts
         (notification_id, state, shard, total) VALUES (NEW.notification_id, NEW.state,
         NEW.id & 7, 1)
         ON CONFLICT (notification_id, state, shard) DO UPDATE SET total = total + 1;
       END""",
    """CREATE TRIGGER deliveries_count_delete AFTER DELETE ON deliveries BEGIN
         INSERT INTO delivery_state_counts
         (notification_id, state, shard, total) VALUES (OLD.notification_id, OLD.state,
         OLD.id & 7, -1)
         ON CONFLICT (notification_id, state, shard) DO UPDATE SET total = total + -1;
       END""",
    """CREATE TRIGGER deliveries_count_update AFTER UPDATE OF state ON deliveries
       WHEN OLD.state <> NEW.state BEGIN
         INSERT INTO delivery_state_counts
         (notification_id, state, shard, total) VALUES (OLD.notification_id, OLD.state,
         OLD.id & 7, -1)
         ON CONFLICT (notification_id, state, shard) DO UPDATE SET total = total + -1;
         INSERT INTO delivery_state_counts
         (notification_id, state, shard, total) VALUES (NEW.notification_id, NEW.state,
         NEW.id & 7, 1)
         ON CONFLICT (notification_id, state, shard) DO UPDATE SET total = total + 1;
       END""",
]

POSTGRESQL_TRIGGERS = [
    """CREATE OR REPLACE FUNCTION statusmail_count_subscribers() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF TG_OP = 'INSERT' THEN
            INSERT INTO subscriber_status_counts (status, total) SELECT status, sum(n) FROM (SELECT status, 1 AS n FROM new_rows) AS changed GROUP BY status HAVING sum(n) <> 0 ORDER BY status ON CONFLICT (status) DO UPDATE SET total = subscriber_status_counts.total + EXCLUDED.total;
          ELSIF TG_OP = 'DELETE' THEN
            INSERT INTO subscriber_status_counts (status, total) SELECT status, sum(n) FROM (SELECT status, -1 AS n FROM old_rows) AS changed GROUP BY status HAVING sum(n) <> 0 ORDER BY status ON CONFLICT (status) DO UPDATE SET total = subscriber_status_counts.total + EXCLUDED.total;
          ELSE
            INSERT INTO subscriber_status_counts (status, total) SELECT status, sum(n) FROM (SELECT status, 1 AS n FROM new_rows UNION ALL SELECT status, -1 AS n FROM old_rows) AS changed GROUP BY status HAVING sum(n) <> 0 ORDER BY status ON CONFLICT (status) DO UPDATE SET total = subscriber_status_counts.total + EXCLUDED.total;
          END IF;
          RETURN NULL;
        END $$""",
    """CREATE TRIGGER subscribers_count_insert AFTER INSERT ON subscribers
            REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION statusmail_count_subscribers()""",
    """CREATE TRIGGER subscribers_count_delete AFTER DELETE ON subscribers
            REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION statusmail_count_subscribers()""",
    """CREATE TRIGGER subscribers_count_update AFTER UPDATE ON subscribers
            REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
            FOR EACH STATEMENT EXECUTE FUNCTION statusmail_count_subscribers()""",
    """CREATE OR REPLACE FUNCTION statusmail_count_deliveries() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF TG_OP = 'INSERT' THEN
            INSERT INTO delivery_state_counts (notification_id, state, shard, total) SELECT notification_id, state, shard, sum(n) FROM (SELECT notification_id, state, CAST(id & 7 AS smallint) AS shard, 1 AS n FROM new_rows) AS changed GROUP BY notification_id, state, shard HAVING sum(n) <> 0 ORDER BY notification_id, state, shard ON CONFLICT (notification_id, state, shard) DO UPDATE SET total = delivery_state_counts.total + EXCLUDED.total;
          ELSIF TG_OP = 'DELETE' THEN
            INSERT INTO delivery_state_counts (notification_id, state, shard, total) SELECT notification_id, state, shard, sum(n) FROM (SELECT notification_id, state, CAST(id & 7 AS smallint) AS shard, -1 AS n FROM old_rows) AS changed GROUP BY notification_id, state, shard HAVING sum(n) <> 0 ORDER BY notification_id, state, shard ON CONFLICT (notification_id, state, shard) DO UPDATE SET total = delivery_state_counts.total + EXCLUDED.total;
          ELSE
            INSERT INTO delivery_state_counts (notification_id, state, shard, total) SELECT notification_id, state, shard, sum(n) FROM (SELECT notification_id, state, CAST(id & 7 AS smallint) AS shard, 1 AS n FROM new_rows UNION ALL SELECT notification_id, state, CAST(id & 7 AS smallint) AS shard, -1 AS n FROM old_rows) AS changed GROUP BY notification_id, state, shard HAVING sum(n) <> 0 ORDER BY notification_id, state, shard ON CONFLICT (notification_id, state, shard) DO UPDATE SET total = delivery_state_counts.total + EXCLUDED.total;
          END IF;
          RETURN NULL;
        END $$""",
    """CREATE TRIGGER deliveries_count_insert AFTER INSERT ON deliveries
            REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION statusmail_count_deliveries()""",
    """CREATE TRIGGER deliveries_count_delete AFTER DELETE ON deliveries
            REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION statusmail_count_deliveries()""",
    """CREATE TRIGGER deliveries_count_update AFTER UPDATE ON deliveries
            REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
            FOR EACH STATEMENT EXECUTE FUNCTION statusmail_count_deliveries()""",
]

SQLITE_SEARCH = [
    """CREATE VIRTUAL TABLE subscriber_search USING fts5(email, content='subscribers',
        content_rowid='id', tokenize='trigram')""",
    """CREATE TRIGGER subscribers_search_insert AFTER INSERT ON subscribers BEGIN
         INSERT INTO subscriber_search (rowid, email) VALUES (NEW.id, NEW.email);
       END""",
    """CREATE TRIGGER subscribers_search_delete AFTER DELETE ON subscribers BEGIN
         INSERT INTO subscriber_search (subscriber_search, rowid, email)
         VALUES ('delete', OLD.id, OLD.email);
       END""",
    """CREATE TRIGGER subscribers_search_update AFTER UPDATE OF email ON subscribers BEGIN
         INSERT INTO subscriber_search (subscriber_search, rowid, email)
         VALUES ('delete', OLD.id, OLD.email);
         INSERT INTO subscriber_search (rowid, email) VALUES (NEW.id, NEW.email);
       END""",
]

POSTGRESQL_SEARCH = [
    # Guarded: pg_trgm ships with PostgreSQL (contrib) and is a trusted extension, so a
    # database owner may create it; IF NOT EXISTS leaves an installed one alone.
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX ix_subscribers_email_trgm ON subscribers USING gin (email gin_trgm_ops)",
]
SQLITE_TRIGGER_NAMES = ["subscribers_count_insert", "subscribers_count_delete",
                        "subscribers_count_update", "deliveries_count_insert",
                        "deliveries_count_delete", "deliveries_count_update",
                        "subscribers_search_insert", "subscribers_search_delete",
                        "subscribers_search_update"]


def _run(statements):
    for statement in statements:
        op.execute(sa.text(statement))


def upgrade():
    with _sqlite_foreign_keys_off():
        dialect = op.get_bind().dialect.name
        # On SQLite the Boolean server default makes this a table copy: under the guard.
        with op.batch_alter_table("notifications", schema=None) as batch_op:
            batch_op.add_column(sa.Column("audience_component_ids", sa.JSON(), nullable=True))
            batch_op.add_column(sa.Column("audience_max_subscriber_id", sa.Integer(),
                                          nullable=True))
            batch_op.add_column(sa.Column("expanded_through", sa.Integer(), nullable=False,
                                          server_default="0"))
            batch_op.add_column(sa.Column("expansion_lease_expires_at", sa.DateTime(),
                                          nullable=True))
            batch_op.add_column(sa.Column("expanding", sa.Boolean(), nullable=False,
                                          server_default=sa.false()))
        # Notices published before this change wrote their deliveries at once: not expanding.

        with op.batch_alter_table("deliveries", schema=None) as batch_op:
            batch_op.create_index("ix_deliveries_failed", ["notification_id", "id"],
                                  unique=False,
                                  postgresql_where=sa.text("state = 'failed'"),
                                  sqlite_where=sa.text("state = 'failed'"))
        op.create_table(
            "subscriber_status_counts",
            sa.Column("status", sa.String(length=16), nullable=False),
            sa.Column("total", sa.BigInteger(), nullable=False),
            sa.PrimaryKeyConstraint("status"))
        op.create_table(
            "delivery_state_counts",
            sa.Column("notification_id", sa.Integer(), nullable=False),
            sa.Column("state", sa.String(length=16), nullable=False),
            sa.Column("shard", sa.SmallInteger(), autoincrement=False, nullable=False),
            sa.Column("total", sa.BigInteger(), nullable=False),
            sa.ForeignKeyConstraint(["notification_id"], ["notifications.id"],
                                    ondelete="CASCADE"),
            sa.PrimaryKeyConstraint("notification_id", "state", "shard"))
        op.execute(sa.text(
            "INSERT INTO subscriber_status_counts (status, total) "
            "SELECT status, count(*) FROM subscribers GROUP BY status"))
        op.execute(sa.text(
            "INSERT INTO delivery_state_counts (notification_id, state, shard, total) "
            "SELECT notification_id, state, CAST(id & 7 AS smallint), count(*) FROM deliveries "
            "GROUP BY notification_id, state, CAST(id & 7 AS smallint)"))
        if dialect == "postgresql":
            _run(POSTGRESQL_TRIGGERS + POSTGRESQL_SEARCH)
        elif dialect == "sqlite":
            _run(SQLITE_TRIGGERS + SQLITE_SEARCH)
            op.execute(sa.text(
                "INSERT INTO subscriber_search (subscriber_search) VALUES ('rebuild')"))


def downgrade():
    with _sqlite_foreign_keys_off():
        dialect = op.get_bind().dialect.name
        if dialect == "postgresql":
            op.execute(sa.text("DROP INDEX IF EXISTS ix_subscribers_email_trgm"))
            for table in ("subscribers", "deliveries"):
                for action in ("insert", "delete", "update"):
                    op.execute(sa.text(
                        f"DROP TRIGGER IF EXISTS {table}_count_{action} ON {table}"))
            op.execute(sa.text("DROP FUNCTION IF EXISTS statusmail_count_subscribers()"))
            op.execute(sa.text("DROP FUNCTION IF EXISTS statusmail_count_deliveries()"))
        elif dialect == "sqlite":
            for name in SQLITE_TRIGGER_NAMES:
                op.execute(sa.text(f"DROP TRIGGER IF EXISTS {name}"))
            op.execute(sa.text("DROP TABLE IF EXISTS subscriber_search"))
        op.drop_table("delivery_state_counts")
        op.drop_table("subscriber_status_counts")
        with op.batch_alter_table("deliveries", schema=None) as batch_op:
            batch_op.drop_index("ix_deliveries_failed")
        with op.batch_alter_table("notifications", schema=None) as batch_op:
            batch_op.drop_column("expanding")
            batch_op.drop_column("expansion_lease_expires_at")
            batch_op.drop_column("expanded_through")
            batch_op.drop_column("audience_max_subscriber_id")
            batch_op.drop_column("audience_component_ids")
