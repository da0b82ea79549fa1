"""Deliverability counts per day and per notice, kept by the database itself.

The dashboard shows 90 days of mail and subscriber changes; counting them from millions
of deliveries on each view would grow with the list. As :mod:`.counts` does for states,
triggers count each change in the same transaction as the row it counts, whatever path
(worker, sweeper, web, import) made it. The day is the database's UTC date at the change.

- ``daily_counts``: per UTC day and metric — ``sent``, ``failed`` (deliveries entering the
  state), ``bounced`` (a delivery failed with an SMTP 5xx: the receiving server refused
  it; or a SendGrid ``bounce`` event, on the day it occurred), ``complaint`` (a SendGrid
  ``spamreport`` event), ``new`` (subscribers added), ``confirmed`` and ``unsubscribed``
  (subscribers entering the status, or added in it) and ``suppressed`` (suppression-list
  entries added).
- ``notification_counts``: per notice, ``bounced`` and ``complaint`` (sent and failed are
  in ``delivery_state_counts``), the events' notice named by the custom_args SendGrid
  handed back.

Both are split into ``SHARDS`` rows per key, chosen by the counted row's id, so that
workers recording outcomes at the same moment rarely wait for one counter row's lock.
"""
from sqlalchemy import DDL, event

from ..extensions import db
from .counts import SHARDS
from .notifications import Delivery
from .subscribers import Subscriber
from .suppressions import ProviderEvent, Suppression

DAILY_METRICS = ("sent", "failed", "bounced", "complaint", "new", "confirmed", "unsubscribed",
                 "suppressed")
NOTIFICATION_METRICS = ("bounced", "complaint")


class DailyCount(db.Model):
    __tablename__ = "daily_counts"

    day = db.Column(db.Date, primary_key=True)
    metric = db.Column(db.String(16), primary_key=True)
    shard = db.Column(db.SmallInteger, primary_key=True, autoincrement=False)
    total = db.Column(db.BigInteger, nullable=False, default=0)


class NotificationCount(db.Model):
    __tablename__ = "notification_counts"

    notification_id = db.Column(db.ForeignKey("notifications.id", ondelete="CASCADE"),
                                primary_key=True)
    metric = db.Column(db.String(16), primary_key=True)
    shard = db.Column(db.SmallInteger, primary_key=True, autoincrement=False)
    total = db.Column(db.BigInteger, nullable=False, default=0)


Subscriber.__table__.add_is_dependent_on(DailyCount.__table__)
Delivery.__table__.add_is_dependent_on(DailyCount.__table__)
Delivery.__table__.add_is_dependent_on(NotificationCount.__table__)
ProviderEvent.__table__.add_is_dependent_on(DailyCount.__table__)
ProviderEvent.__table__.add_is_dependent_on(NotificationCount.__table__)
Suppression.__table__.add_is_dependent_on(DailyCount.__table__)

_MASK = SHARDS - 1
_SQLITE_DAY = "date('now')"
_SQLITE_DAILY = ("INSERT INTO daily_counts (day, metric, shard, total) VALUES "
                 "({day}, {metric}, {row}.id & " + str(_MASK) + ", 1) "
                 "ON CONFLICT (day, metric, shard) DO UPDATE SET total = total + 1;")
_SQLITE_NOTICE = ("INSERT INTO notification_counts (notification_id, metric, shard, total) "
                  "VALUES ({row}.notification_id, {metric}, {row}.id & " + str(_MASK) + ", 1) "
                  "ON CONFLICT (notification_id, metric, shard) DO UPDATE SET total = total + 1;")
# A delivery failed with a 5xx reply: the receiving server refused it (at RCPT or DATA).
SMTP_REFUSAL = "{row}.state = 'failed' AND {row}.smtp_code BETWEEN 500 AND 599"


def _sqlite_daily(metric, row="NEW", day=_SQLITE_DAY):
    return _SQLITE_DAILY.format(day=day, metric=metric, row=row)


SQLITE_TRIGGERS = {
    "deliveries": [
        f"""CREATE TRIGGER deliveries_daily_outcome AFTER UPDATE OF state ON deliveries
           WHEN OLD.state <> NEW.state AND NEW.state IN ('sent', 'failed') BEGIN
             {_sqlite_daily("NEW.state")}
           END""",
        f"""CREATE TRIGGER deliveries_daily_refusal AFTER UPDATE OF state ON deliveries
           WHEN OLD.state <> NEW.state AND {SMTP_REFUSAL.format(row="NEW")} BEGIN
             {_sqlite_daily("'bounced'")}
             {_SQLITE_NOTICE.format(metric="'bounced'", row="NEW")}
           END""",
    ],
    "subscribers": [
        f"""CREATE TRIGGER subscribers_daily_insert AFTER INSERT ON subscribers BEGIN
             {_sqlite_daily("'new'")}
           END""",
        f"""CREATE TRIGGER subscribers_daily_insert_status AFTER INSERT ON subscribers
           WHEN NEW.status IN ('confirmed', 'unsubscribed') BEGIN
             {_sqlite_daily("NEW.status")}
           END""",
        f"""CREATE TRIGGER subscribers_daily_status AFTER UPDATE OF status ON subscribers
           WHEN OLD.status <> NEW.status AND NEW.status IN ('confirmed', 'unsubscribed') BEGIN
             {_sqlite_daily("NEW.status")}
           END""",
    ],
}

_PG_DAY = "CAST(timezone('UTC', now()) AS date)"
_PG_DAILY = ("INSERT INTO daily_counts (day, metric, shard, total) "
             "SELECT day, metric, shard, count(*) FROM ({rows}) AS changed "
             "GROUP BY day, metric, shard ORDER BY day, metric, shard "
             "ON CONFLICT (day, metric, shard) DO UPDATE "
             "SET total = daily_counts.total + EXCLUDED.total;")
_PG_NOTICE = ("INSERT INTO notification_counts (notification_id, metric, shard, total) "
              "SELECT notification_id, metric, shard, count(*) FROM ({rows}) AS changed "
              "GROUP BY notification_id, metric, shard ORDER BY notification_id, metric, shard "
              "ON CONFLICT (notification_id, metric, shard) DO UPDATE "
              "SET total = notification_counts.total + EXCLUDED.total;")
_PG_SHARD = f"CAST({{row}}.id & {_MASK} AS smallint)"


def _pg_function(name, body):
    return (f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN {body} RETURN NULL; END $$")


_PG_DELIVERY_CHANGES = ("FROM new_rows n JOIN old_rows o ON o.id = n.id "
                        "WHERE o.state <> n.state")
_PG_DELIVERIES_BODY = (
    _PG_DAILY.format(rows=f"SELECT {_PG_DAY} AS day, n.state AS metric, "
                          f"{_PG_SHARD.format(row='n')} AS shard {_PG_DELIVERY_CHANGES} "
                          "AND n.state IN ('sent', 'failed')")
    + _PG_DAILY.format(rows=f"SELECT {_PG_DAY} AS day, 'bounced' AS metric, "
                            f"{_PG_SHARD.format(row='n')} AS shard {_PG_DELIVERY_CHANGES} "
                            f"AND {SMTP_REFUSAL.format(row='n')}")
    + _PG_NOTICE.format(rows=f"SELECT n.notification_id, 'bounced' AS metric, "
                             f"{_PG_SHARD.format(row='n')} AS shard {_PG_DELIVERY_CHANGES} "
                             f"AND {SMTP_REFUSAL.format(row='n')}"))
_PG_SUBSCRIBERS_INSERT_BODY = (
    _PG_DAILY.format(rows=f"SELECT {_PG_DAY} AS day, 'new' AS metric, "
                          f"{_PG_SHARD.format(row='n')} AS shard FROM new_rows n "
                          "UNION ALL "
                          f"SELECT {_PG_DAY}, n.status, {_PG_SHARD.format(row='n')} "
                          "FROM new_rows n WHERE n.status IN ('confirmed', 'unsubscribed')"))
_PG_SUBSCRIBERS_UPDATE_BODY = _PG_DAILY.format(
    rows=f"SELECT {_PG_DAY} AS day, n.status AS metric, {_PG_SHARD.format(row='n')} AS shard "
         "FROM new_rows n JOIN old_rows o ON o.id = n.id "
         "WHERE o.status <> n.status AND n.status IN ('confirmed', 'unsubscribed')")

POSTGRESQL_TRIGGERS = {
    "deliveries": [
        _pg_function("statusmail_daily_deliveries", _PG_DELIVERIES_BODY),
        """CREATE TRIGGER deliveries_daily_outcome AFTER UPDATE ON deliveries
           REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
           FOR EACH STATEMENT EXECUTE FUNCTION statusmail_daily_deliveries()""",
    ],
    "subscribers": [
        _pg_function("statusmail_daily_subscribers_insert", _PG_SUBSCRIBERS_INSERT_BODY),
        _pg_function("statusmail_daily_subscribers_update", _PG_SUBSCRIBERS_UPDATE_BODY),
        """CREATE TRIGGER subscribers_daily_insert AFTER INSERT ON subscribers
           REFERENCING NEW TABLE AS new_rows
           FOR EACH STATEMENT EXECUTE FUNCTION statusmail_daily_subscribers_insert()""",
        """CREATE TRIGGER subscribers_daily_status AFTER UPDATE ON subscribers
           REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
           FOR EACH STATEMENT EXECUTE FUNCTION statusmail_daily_subscribers_update()""",
    ],
}

PROVIDER_METRIC = "CASE {row}.event WHEN 'bounce' THEN 'bounced' ELSE 'complaint' END"
COUNTED_EVENTS = "{row}.event IN ('bounce', 'spamreport')"

SQLITE_TRIGGERS["provider_events"] = [
    f"""CREATE TRIGGER provider_events_daily AFTER INSERT ON provider_events
       WHEN {COUNTED_EVENTS.format(row="NEW")} BEGIN
         {_sqlite_daily(PROVIDER_METRIC.format(row="NEW"), day="date(NEW.occurred_at)")}
       END""",
    f"""CREATE TRIGGER provider_events_notice AFTER INSERT ON provider_events
       WHEN {COUNTED_EVENTS.format(row="NEW")} AND NEW.notification_id IS NOT NULL BEGIN
         {_SQLITE_NOTICE.format(metric=PROVIDER_METRIC.format(row="NEW"), row="NEW")}
       END""",
]
SQLITE_TRIGGERS["suppressions"] = [
    f"""CREATE TRIGGER suppressions_daily AFTER INSERT ON suppressions BEGIN
         {_sqlite_daily("'suppressed'")}
       END""",
]
_PG_PROVIDER_EVENTS_BODY = (
    _PG_DAILY.format(rows=f"SELECT CAST(n.occurred_at AS date) AS day, "
                          f"{PROVIDER_METRIC.format(row='n')} AS metric, "
                          f"{_PG_SHARD.format(row='n')} AS shard FROM new_rows n "
                          f"WHERE {COUNTED_EVENTS.format(row='n')}")
    + _PG_NOTICE.format(rows=f"SELECT n.notification_id, {PROVIDER_METRIC.format(row='n')} "
                             f"AS metric, {_PG_SHARD.format(row='n')} AS shard FROM new_rows n "
                             f"WHERE {COUNTED_EVENTS.format(row='n')} "
                             "AND n.notification_id IS NOT NULL"))
POSTGRESQL_TRIGGERS["provider_events"] = [
    _pg_function("statusmail_daily_provider_events", _PG_PROVIDER_EVENTS_BODY),
    """CREATE TRIGGER provider_events_daily AFTER INSERT ON provider_events
       REFERENCING NEW TABLE AS new_rows
       FOR EACH STATEMENT EXECUTE FUNCTION statusmail_daily_provider_events()""",
]
POSTGRESQL_TRIGGERS["suppressions"] = [
    _pg_function("statusmail_daily_suppressions", _PG_DAILY.format(
        rows=f"SELECT {_PG_DAY} AS day, 'suppressed' AS metric, "
             f"{_PG_SHARD.format(row='n')} AS shard FROM new_rows n")),
    """CREATE TRIGGER suppressions_daily AFTER INSERT ON suppressions
       REFERENCING NEW TABLE AS new_rows
       FOR EACH STATEMENT EXECUTE FUNCTION statusmail_daily_suppressions()""",
]

TRIGGERS = {"sqlite": SQLITE_TRIGGERS, "postgresql": POSTGRESQL_TRIGGERS}

for _dialect, _tables in TRIGGERS.items():
    for _table, _statements in _tables.items():
        for _statement in _statements:
            event.listen(db.metadata.tables[_table], "after_create",
                         DDL(_statement).execute_if(dialect=_dialect))
