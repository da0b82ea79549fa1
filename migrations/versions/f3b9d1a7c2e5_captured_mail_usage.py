"""captured-usage: the count and bytes of captured mail, kept by triggers (for its cap)

The SQL is copied here, not imported: the models may change after this migration.

Revision ID: f3b9d1a7c2e5
Revises: e3f9a5b7c2d4
Create Date: 2026-12-01 13:50:00

"""
from alembic import op
import sqlalchemy as sa


revision = "f3b9d1a7c2e5"
down_revision = "e3f9a5b7c2d4"
branch_labels = None
depends_on = None

SQLITE_TRIGGERS = [
    """CREATE TRIGGER captured_mail_usage_insert AFTER INSERT ON captured_mail BEGIN
         INSERT INTO captured_mail_usage (shard, messages, bytes)
         VALUES (NEW.id & 7, 1, length(NEW.raw))
         ON CONFLICT (shard) DO UPDATE SET messages = messages + excluded.messages,
         bytes = bytes + excluded.bytes;
       END""",
    """CREATE TRIGGER captured_mail_usage_delete AFTER DELETE ON captured_mail BEGIN
         INSERT INTO captured_mail_usage (shard, messages, bytes)
         VALUES (OLD.id & 7, -1, -length(OLD.raw))
         ON CONFLICT (shard) DO UPDATE SET messages = messages + excluded.messages,
         bytes = bytes + excluded.bytes;
       END""",
]

POSTGRESQL_TRIGGERS = [
    """CREATE OR REPLACE FUNCTION statusmail_count_captured_mail() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
          IF TG_OP = 'INSERT' THEN
            INSERT INTO captured_mail_usage (shard, messages, bytes) SELECT CAST(id & 7 AS smallint), count(*), coalesce(sum(octet_length(raw)), 0) FROM new_rows GROUP BY 1 ORDER BY 1 ON CONFLICT (shard) DO UPDATE SET messages = captured_mail_usage.messages + EXCLUDED.messages, bytes = captured_mail_usage.bytes + EXCLUDED.bytes;
          ELSE
            INSERT INTO captured_mail_usage (shard, messages, bytes) SELECT CAST(id & 7 AS smallint), -count(*), -coalesce(sum(octet_length(raw)), 0) FROM old_rows GROUP BY 1 ORDER BY 1 ON CONFLICT (shard) DO UPDATE SET messages = captured_mail_usage.messages + EXCLUDED.messages, bytes = captured_mail_usage.bytes + EXCLUDED.bytes;
          END IF;
          RETURN NULL;
        END $$""",
    """CREATE TRIGGER captured_mail_usage_insert AFTER INSERT ON captured_mail
        REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
        EXECUTE FUNCTION statusmail_count_captured_mail()""",
    """CREATE TRIGGER captured_mail_usage_delete AFTER DELETE ON captured_mail
        REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
        EXECUTE FUNCTION statusmail_count_captured_mail()""",
]

BACKFILL = {
    "sqlite": "INSERT INTO captured_mail_usage (shard, messages, bytes) SELECT id & 7, count(*), "
              "coalesce(sum(length(raw)), 0) FROM captured_mail GROUP BY id & 7",
    "postgresql": "INSERT INTO captured_mail_usage (shard, messages, bytes) SELECT "
                  "CAST(id & 7 AS smallint), count(*), coalesce(sum(octet_length(raw)), 0) "
                  "FROM captured_mail GROUP BY 1",
}


def upgrade():
    op.create_table(
        "captured_mail_usage",
        sa.Column("shard", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("messages", sa.BigInteger(), nullable=False),
        sa.Column("bytes", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("shard"),
    )
    dialect = op.get_bind().dialect.name
    op.execute(BACKFILL[dialect])
    for statement in SQLITE_TRIGGERS if dialect == "sqlite" else POSTGRESQL_TRIGGERS:
        op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS captured_mail_usage_insert")
        op.execute("DROP TRIGGER IF EXISTS captured_mail_usage_delete")
    else:
        op.execute("DROP TRIGGER IF EXISTS captured_mail_usage_insert ON captured_mail")
        op.execute("DROP TRIGGER IF EXISTS captured_mail_usage_delete ON captured_mail")
        op.execute("DROP FUNCTION IF EXISTS statusmail_count_captured_mail()")
    op.drop_table("captured_mail_usage")
