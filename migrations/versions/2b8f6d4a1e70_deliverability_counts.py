"""deliverability counts: daily_counts and notification_counts, kept by triggers

Sent, failed and SMTP-refused deliveries per UTC day (and refusals per notice),
subscribers added, confirmed and unsubscribed and suppressions added per day, and
SendGrid bounce and spam-report events per day and notice, for the dashboard.
Counting starts now: days before this migration show nothing (a backfill from millions
of deliveries would hold the release step for minutes, and the past has no refusal days).

The SQL is copied here, not imported: the models may change after this migration.

Revision ID: 2b8f6d4a1e70
Revises: a7d3e9c1b5f4
Create Date: 2026-12-01 16:45:00

"""
import sqlalchemy as sa
from alembic import op


revision = "2b8f6d4a1e70"
down_revision = "a7d3e9c1b5f4"
branch_labels = None
depends_on = None

SQLITE = {'deliveries': ['CREATE TRIGGER deliveries_daily_outcome AFTER UPDATE OF state ON deliveries\n'
                "           WHEN OLD.state <> NEW.state AND NEW.state IN ('sent', 'failed') BEGIN\n"
                '             INSERT INTO daily_counts (day, metric, shard, total) VALUES '
                "(date('now'), NEW.state, NEW.id & 7, 1) ON CONFLICT (day, metric, shard) DO "
                'UPDATE SET total = total + 1;\n'
                '           END',
                'CREATE TRIGGER deliveries_daily_refusal AFTER UPDATE OF state ON deliveries\n'
                "           WHEN OLD.state <> NEW.state AND NEW.state = 'failed' AND NEW.smtp_code "
                'BETWEEN 500 AND 599 BEGIN\n'
                '             INSERT INTO daily_counts (day, metric, shard, total) VALUES '
                "(date('now'), 'bounced', NEW.id & 7, 1) ON CONFLICT (day, metric, shard) DO "
                'UPDATE SET total = total + 1;\n'
                '             INSERT INTO notification_counts (notification_id, metric, shard, '
                "total) VALUES (NEW.notification_id, 'bounced', NEW.id & 7, 1) ON CONFLICT "
                '(notification_id, metric, shard) DO UPDATE SET total = total + 1;\n'
                '           END'],
 'provider_events': ['CREATE TRIGGER provider_events_daily AFTER INSERT ON provider_events\n'
                     "       WHEN NEW.event IN ('bounce', 'spamreport') BEGIN\n"
                     '         INSERT INTO daily_counts (day, metric, shard, total) VALUES '
                     "(date(NEW.occurred_at), CASE NEW.event WHEN 'bounce' THEN 'bounced' ELSE "
                     "'complaint' END, NEW.id & 7, 1) ON CONFLICT (day, metric, shard) DO UPDATE "
                     'SET total = total + 1;\n'
                     '       END',
                     'CREATE TRIGGER provider_events_notice AFTER INSERT ON provider_events\n'
                     "       WHEN NEW.event IN ('bounce', 'spamreport') AND NEW.notification_id IS "
                     'NOT NULL BEGIN\n'
                     '         INSERT INTO notification_counts (notification_id, metric, shard, '
                     "total) VALUES (NEW.notification_id, CASE NEW.event WHEN 'bounce' THEN "
                     "'bounced' ELSE 'complaint' END, NEW.id & 7, 1) ON CONFLICT (notification_id, "
                     'metric, shard) DO UPDATE SET total = total + 1;\n'
                     '       END'],
 'subscribers': ['CREATE TRIGGER subscribers_daily_insert AFTER INSERT ON subscribers BEGIN\n'
                 '             INSERT INTO daily_counts (day, metric, shard, total) VALUES '
                 "(date('now'), 'new', NEW.id & 7, 1) ON CONFLICT (day, metric, shard) DO UPDATE "
                 'SET total = total + 1;\n'
                 '           END',
                 'CREATE TRIGGER subscribers_daily_insert_status AFTER INSERT ON subscribers\n'
                 "           WHEN NEW.status IN ('confirmed', 'unsubscribed') BEGIN\n"
                 '             INSERT INTO daily_counts (day, metric, shard, total) VALUES '
                 "(date('now'), NEW.status, NEW.id & 7, 1) ON CONFLICT (day, metric, shard) DO "
                 'UPDATE SET total = total + 1;\n'
                 '           END',
                 'CREATE TRIGGER subscribers_daily_status AFTER UPDATE OF status ON subscribers\n'
                 "           WHEN OLD.status <> NEW.status AND NEW.status IN ('confirmed', "
                 "'unsubscribed') BEGIN\n"
                 '             INSERT INTO daily_counts (day, metric, shard, total) VALUES '
                 "(date('now'), NEW.status, NEW.id & 7, 1) ON CONFLICT (day, metric, shard) DO "
                 'UPDATE SET total = total + 1;\n'
                 '           END'],
 'suppressions': ['CREATE TRIGGER suppressions_daily AFTER INSERT ON suppressions BEGIN\n'
                  '         INSERT INTO daily_counts (day, metric, shard, total) VALUES '
                  "(date('now'), 'suppressed', NEW.id & 7, 1) ON CONFLICT (day, metric, shard) DO "
                  'UPDATE SET total = total + 1;\n'
                  '       END']}
POSTGRESQL = {'deliveries': ['CREATE OR REPLACE FUNCTION statusmail_daily_deliveries() RETURNS trigger LANGUAGE '
                'plpgsql AS $$ BEGIN INSERT INTO daily_counts (day, metric, shard, total) SELECT '
                "day, metric, shard, count(*) FROM (SELECT CAST(timezone('UTC', now()) AS date) AS "
                'day, n.state AS metric, CAST(n.id & 7 AS smallint) AS shard FROM new_rows n JOIN '
                "old_rows o ON o.id = n.id WHERE o.state <> n.state AND n.state IN ('sent', "
                "'failed')) AS changed GROUP BY day, metric, shard ORDER BY day, metric, shard ON "
                'CONFLICT (day, metric, shard) DO UPDATE SET total = daily_counts.total + '
                'EXCLUDED.total;INSERT INTO daily_counts (day, metric, shard, total) SELECT day, '
                "metric, shard, count(*) FROM (SELECT CAST(timezone('UTC', now()) AS date) AS day, "
                "'bounced' AS metric, CAST(n.id & 7 AS smallint) AS shard FROM new_rows n JOIN "
                "old_rows o ON o.id = n.id WHERE o.state <> n.state AND n.state = 'failed' AND "
                'n.smtp_code BETWEEN 500 AND 599) AS changed GROUP BY day, metric, shard ORDER BY '
                'day, metric, shard ON CONFLICT (day, metric, shard) DO UPDATE SET total = '
                'daily_counts.total + EXCLUDED.total;INSERT INTO notification_counts '
                '(notification_id, metric, shard, total) SELECT notification_id, metric, shard, '
                "count(*) FROM (SELECT n.notification_id, 'bounced' AS metric, CAST(n.id & 7 AS "
                'smallint) AS shard FROM new_rows n JOIN old_rows o ON o.id = n.id WHERE o.state '
                "<> n.state AND n.state = 'failed' AND n.smtp_code BETWEEN 500 AND 599) AS changed "
                'GROUP BY notification_id, metric, shard ORDER BY notification_id, metric, shard '
                'ON CONFLICT (notification_id, metric, shard) DO UPDATE SET total = '
                'notification_counts.total + EXCLUDED.total; RETURN NULL; END $$',
                'CREATE TRIGGER deliveries_daily_outcome AFTER UPDATE ON deliveries\n'
                '           REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows\n'
                '           FOR EACH STATEMENT EXECUTE FUNCTION statusmail_daily_deliveries()'],
 'provider_events': ['CREATE OR REPLACE FUNCTION statusmail_daily_provider_events() RETURNS '
                     'trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO daily_counts (day, metric, '
                     'shard, total) SELECT day, metric, shard, count(*) FROM (SELECT '
                     "CAST(n.occurred_at AS date) AS day, CASE n.event WHEN 'bounce' THEN "
                     "'bounced' ELSE 'complaint' END AS metric, CAST(n.id & 7 AS smallint) AS "
                     "shard FROM new_rows n WHERE n.event IN ('bounce', 'spamreport')) AS changed "
                     'GROUP BY day, metric, shard ORDER BY day, metric, shard ON CONFLICT (day, '
                     'metric, shard) DO UPDATE SET total = daily_counts.total + '
                     'EXCLUDED.total;INSERT INTO notification_counts (notification_id, metric, '
                     'shard, total) SELECT notification_id, metric, shard, count(*) FROM (SELECT '
                     "n.notification_id, CASE n.event WHEN 'bounce' THEN 'bounced' ELSE "
                     "'complaint' END AS metric, CAST(n.id & 7 AS smallint) AS shard FROM new_rows "
                     "n WHERE n.event IN ('bounce', 'spamreport') AND n.notification_id IS NOT "
                     'NULL) AS changed GROUP BY notification_id, metric, shard ORDER BY '
                     'notification_id, metric, shard ON CONFLICT (notification_id, metric, shard) '
                     'DO UPDATE SET total = notification_counts.total + EXCLUDED.total; RETURN '
                     'NULL; END $$',
                     'CREATE TRIGGER provider_events_daily AFTER INSERT ON provider_events\n'
                     '       REFERENCING NEW TABLE AS new_rows\n'
                     '       FOR EACH STATEMENT EXECUTE FUNCTION '
                     'statusmail_daily_provider_events()'],
 'subscribers': ['CREATE OR REPLACE FUNCTION statusmail_daily_subscribers_insert() RETURNS trigger '
                 'LANGUAGE plpgsql AS $$ BEGIN INSERT INTO daily_counts (day, metric, shard, '
                 "total) SELECT day, metric, shard, count(*) FROM (SELECT CAST(timezone('UTC', "
                 "now()) AS date) AS day, 'new' AS metric, CAST(n.id & 7 AS smallint) AS shard "
                 "FROM new_rows n UNION ALL SELECT CAST(timezone('UTC', now()) AS date), n.status, "
                 "CAST(n.id & 7 AS smallint) FROM new_rows n WHERE n.status IN ('confirmed', "
                 "'unsubscribed')) AS changed GROUP BY day, metric, shard ORDER BY day, metric, "
                 'shard ON CONFLICT (day, metric, shard) DO UPDATE SET total = daily_counts.total '
                 '+ EXCLUDED.total; RETURN NULL; END $$',
                 'CREATE OR REPLACE FUNCTION statusmail_daily_subscribers_update() RETURNS trigger '
                 'LANGUAGE plpgsql AS $$ BEGIN INSERT INTO daily_counts (day, metric, shard, '
                 "total) SELECT day, metric, shard, count(*) FROM (SELECT CAST(timezone('UTC', "
                 'now()) AS date) AS day, n.status AS metric, CAST(n.id & 7 AS smallint) AS shard '
                 'FROM new_rows n JOIN old_rows o ON o.id = n.id WHERE o.status <> n.status AND '
                 "n.status IN ('confirmed', 'unsubscribed')) AS changed GROUP BY day, metric, "
                 'shard ORDER BY day, metric, shard ON CONFLICT (day, metric, shard) DO UPDATE SET '
                 'total = daily_counts.total + EXCLUDED.total; RETURN NULL; END $$',
                 'CREATE TRIGGER subscribers_daily_insert AFTER INSERT ON subscribers\n'
                 '           REFERENCING NEW TABLE AS new_rows\n'
                 '           FOR EACH STATEMENT EXECUTE FUNCTION '
                 'statusmail_daily_subscribers_insert()',
                 'CREATE TRIGGER subscribers_daily_status AFTER UPDATE ON subscribers\n'
                 '           REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows\n'
                 '           FOR EACH STATEMENT EXECUTE FUNCTION '
                 'statusmail_daily_subscribers_update()'],
 'suppressions': ['CREATE OR REPLACE FUNCTION statusmail_daily_suppressions() RETURNS trigger '
                  'LANGUAGE plpgsql AS $$ BEGIN INSERT INTO daily_counts (day, metric, shard, '
                  "total) SELECT day, metric, shard, count(*) FROM (SELECT CAST(timezone('UTC', "
                  "now()) AS date) AS day, 'suppressed' AS metric, CAST(n.id & 7 AS smallint) AS "
                  'shard FROM new_rows n) AS changed GROUP BY day, metric, shard ORDER BY day, '
                  'metric, shard ON CONFLICT (day, metric, shard) DO UPDATE SET total = '
                  'daily_counts.total + EXCLUDED.total; RETURN NULL; END $$',
                  'CREATE TRIGGER suppressions_daily AFTER INSERT ON suppressions\n'
                  '       REFERENCING NEW TABLE AS new_rows\n'
                  '       FOR EACH STATEMENT EXECUTE FUNCTION statusmail_daily_suppressions()']}

TRIGGER_NAMES = {
    "deliveries": ("deliveries_daily_outcome", "deliveries_daily_refusal"),
    "subscribers": ("subscribers_daily_insert", "subscribers_daily_insert_status",
                    "subscribers_daily_status"),
    "provider_events": ("provider_events_daily", "provider_events_notice"),
    "suppressions": ("suppressions_daily",),
}
PG_FUNCTIONS = ("statusmail_daily_deliveries", "statusmail_daily_subscribers_insert",
                "statusmail_daily_subscribers_update", "statusmail_daily_provider_events",
                "statusmail_daily_suppressions")


def upgrade():
    op.create_table(
        "daily_counts",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("metric", sa.String(length=16), nullable=False),
        sa.Column("shard", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("total", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("day", "metric", "shard"),
    )
    op.create_table(
        "notification_counts",
        sa.Column("notification_id", sa.Integer(), nullable=False),
        sa.Column("metric", sa.String(length=16), nullable=False),
        sa.Column("shard", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("total", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["notification_id"], ["notifications.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("notification_id", "metric", "shard"),
    )
    triggers = SQLITE if op.get_bind().dialect.name == "sqlite" else POSTGRESQL
    for statements in triggers.values():
        for statement in statements:
            op.execute(statement)


def downgrade():
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table, names in TRIGGER_NAMES.items():
        for name in names:
            op.execute(f"DROP TRIGGER IF EXISTS {name}" + ("" if sqlite else f" ON {table}"))
    if not sqlite:
        for function in PG_FUNCTIONS:
            op.execute(f"DROP FUNCTION IF EXISTS {function}()")
    op.drop_table("notification_counts")
    op.drop_table("daily_counts")
