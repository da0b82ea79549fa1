"""Counts the admin shows on every page, kept by the database itself.

Counting a million subscribers by status, or a million deliveries of a notice by state,
on every page view grows with the list. These tables hold the counts instead, changed by
triggers in the same transaction as the rows they count, so they cannot drift whichever
code path (web, worker, sweeper, import, a bulk INSERT … SELECT) changed the rows.

PostgreSQL counts per statement (transition tables: one grouped upsert however many rows
a statement touched); SQLite counts per row (its triggers are cheap, in-process calls).
Delivery counts are split into ``SHARDS`` rows per notification and state, chosen by
delivery id, so that workers recording outcomes of one notice at the same moment rarely
wait for each other's lock on the same counter row; readers add the shards up.
"""
from sqlalchemy import DDL, event

from ..extensions import db
from .notifications import Delivery
from .subscribers import Subscriber

SHARDS = 8  # a power of two: the shard is ``id & (SHARDS - 1)``


class SubscriberStatusCount(db.Model):
    __tablename__ = "subscriber_status_counts"

    status = db.Column(db.String(16), primary_key=True)
    total = db.Column(db.BigInteger, nullable=False, default=0)


class DeliveryStateCount(db.Model):
    __tablename__ = "delivery_state_counts"

    notification_id = db.Column(db.ForeignKey("notifications.id", ondelete="CASCADE"),
                                primary_key=True)
    state = db.Column(db.String(16), primary_key=True)
    shard = db.Column(db.SmallInteger, primary_key=True, autoincrement=False)
    total = db.Column(db.BigInteger, nullable=False, default=0)


# Created before (and emptied after) the tables whose triggers write into them.
Subscriber.__table__.add_is_dependent_on(SubscriberStatusCount.__table__)
Delivery.__table__.add_is_dependent_on(DeliveryStateCount.__table__)

_SQLITE_SUBSCRIBERS = [
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
]

_SQLITE_DELIVERY_UPSERT = """INSERT INTO delivery_state_counts
         (notification_id, state, shard, total) VALUES ({row}.notification_id, {row}.state,
         {row}.id & {mask}, {delta})
         ON CONFLICT (notification_id, state, shard) DO UPDATE SET total = total + {delta};"""

_SQLITE_DELIVERIES = [
    f"""CREATE TRIGGER deliveries_count_insert AFTER INSERT ON deliveries BEGIN
         {_SQLITE_DELIVERY_UPSERT.format(row="NEW", mask=SHARDS - 1, delta=1)}
       END""",
    f"""CREATE TRIGGER deliveries_count_delete AFTER DELETE ON deliveries BEGIN
         {_SQLITE_DELIVERY_UPSERT.format(row="OLD", mask=SHARDS - 1, delta=-1)}
       END""",
    f"""CREATE TRIGGER deliveries_count_update AFTER UPDATE OF state ON deliveries
       WHEN OLD.state <> NEW.state BEGIN
         {_SQLITE_DELIVERY_UPSERT.format(row="OLD", mask=SHARDS - 1, delta=-1)}
         {_SQLITE_DELIVERY_UPSERT.format(row="NEW", mask=SHARDS - 1, delta=1)}
       END""",
]


def _postgresql_counter(table, function, counts_table, keys, key_values):
    """A statement-level trigger function and its three triggers for ``table``."""
    upsert = (f"INSERT INTO {counts_table} ({keys}, total) SELECT {keys}, sum(n) FROM "
              "({rows}) AS changed GROUP BY {keys} HAVING sum(n) <> 0 ORDER BY {keys} "
              f"ON CONFLICT ({keys}) DO UPDATE SET total = {counts_table}.total + EXCLUDED.total;")
    new = f"SELECT {key_values}, 1 AS n FROM new_rows"
    old = f"SELECT {key_values}, -1 AS n FROM old_rows"
    return [
        f"""CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF TG_OP = 'INSERT' THEN
            {upsert.format(rows=new, keys=keys)}
          ELSIF TG_OP = 'DELETE' THEN
            {upsert.format(rows=old, keys=keys)}
          ELSE
            {upsert.format(rows=new + " UNION ALL " + old, keys=keys)}
          END IF;
          RETURN NULL;
        END $$""",
        f"""CREATE TRIGGER {table}_count_insert AFTER INSERT ON {table}
            REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION {function}()""",
        f"""CREATE TRIGGER {table}_count_delete AFTER DELETE ON {table}
            REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION {function}()""",
        f"""CREATE TRIGGER {table}_count_update AFTER UPDATE ON {table}
            REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
            FOR EACH STATEMENT EXECUTE FUNCTION {function}()""",
    ]


_POSTGRESQL_SUBSCRIBERS = _postgresql_counter(
    "subscribers", "statusmail_count_subscribers", "subscriber_status_counts",
    "status", "status")
_POSTGRESQL_DELIVERIES = _postgresql_counter(
    "deliveries", "statusmail_count_deliveries", "delivery_state_counts",
    "notification_id, state, shard", f"notification_id, state, CAST(id & {SHARDS - 1} AS smallint) AS shard")

TRIGGERS = {
    "sqlite": {"subscribers": _SQLITE_SUBSCRIBERS, "deliveries": _SQLITE_DELIVERIES},
    "postgresql": {"subscribers": _POSTGRESQL_SUBSCRIBERS, "deliveries": _POSTGRESQL_DELIVERIES},
}

for _dialect, _tables in TRIGGERS.items():
    for _table, _statements in _tables.items():
        for _statement in _statements:
            event.listen(db.metadata.tables[_table], "after_create",
                         DDL(_statement).execute_if(dialect=_dialect))
