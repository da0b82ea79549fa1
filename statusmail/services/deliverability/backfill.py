"""Fill the deliverability counters for the days before the triggers began counting.

The triggers (:mod:`statusmail.models.deliverability`) count from the migration that
created them on. An upgraded install has the past in its rows: deliveries, subscribers,
suppressions and provider events. This counts them, one ``INSERT … SELECT … GROUP BY``
per metric in one transaction, so it costs a few table scans at any size and no row
passes through Python.

The rule that keeps it from counting anything twice: the first day in ``daily_counts``
(today, the database's UTC date, when it is empty) is the first counted day, and only
days strictly before it are filled. A change the triggers counted lands on a day no
earlier than that (the day of the change, or a provider event's own day), so nothing is
counted by both. The first counted day itself is left as the triggers found it: changes
made on it before the migration ran are not counted (it may be partial). A second run
finds its first counted day at the earliest day the first one filled, and nothing before
it: it fills nothing.

A notice gets its bounces and complaints only when it has no per-notice counter at all
(nothing about it was counted since the upgrade), and only when it was created before
the first counted day; a notice whose mail went out across the upgrade keeps what the
triggers counted.

The past is read from what the rows say now: ``failed`` is a failed delivery's last
change (``updated_at``), ``confirmed`` and ``unsubscribed`` the subscribers' times (one
who unsubscribed and subscribed again counts only the later confirmation: subscribing
again clears both), and rows the retention pruned are gone. Subscribers imported after
the upgrade with their file's dates are counted by the triggers on the import day: run
this before such an import, or their past days count them as well.
"""
from dataclasses import dataclass, field
from datetime import date, datetime, time

from sqlalchemy import Date, and_, case, exists, func, insert, literal, select, union_all
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement

from ...extensions import db
from ...models import (DailyCount, Delivery, Notification, NotificationCount, ProviderEvent,
                       Subscriber, Suppression)
from ...models.deliverability import DAILY_METRICS
from .. import audit

BACKFILL_SHARD = 0  # the dashboard sums the shards: one row per day and metric will do


class utc_day(FunctionElement):
    """The UTC day of a stored (naive UTC) timestamp, as the triggers write ``day``:
    ``date()`` on SQLite ('YYYY-MM-DD' text), a ``date`` on PostgreSQL."""
    type = Date()
    inherit_cache = True


@compiles(utc_day, "sqlite")
def _sqlite_day(element, compiler, **kw):
    return f"date({compiler.process(element.clauses, **kw)})"


@compiles(utc_day)
def _cast_day(element, compiler, **kw):
    return f"CAST({compiler.process(element.clauses, **kw)} AS DATE)"


class utc_today(FunctionElement):
    """The database's UTC date, the day the triggers count a change on."""
    type = Date()
    inherit_cache = True


@compiles(utc_today, "sqlite")
def _sqlite_today(element, compiler, **kw):
    return "date('now')"


@compiles(utc_today)
def _pg_today(element, compiler, **kw):
    return "CAST(timezone('UTC', now()) AS date)"


def _refused():
    return and_(Delivery.state == "failed", Delivery.smtp_code.between(500, 599))


def _daily_sources():
    """metric -> [(timestamp column, condition)], each a set of rows counted on the
    timestamp's UTC day."""
    return {
        "sent": [(Delivery.sent_at, Delivery.state == "sent")],
        "failed": [(Delivery.updated_at, Delivery.state == "failed")],
        "bounced": [(Delivery.updated_at, _refused()),
                    (ProviderEvent.occurred_at, ProviderEvent.event == "bounce")],
        "complaint": [(ProviderEvent.occurred_at, ProviderEvent.event == "spamreport")],
        "new": [(Subscriber.created_at, None)],
        "confirmed": [(Subscriber.confirmed_at, None)],
        # As the triggers count it: the status, not a bounced import's date from its file.
        "unsubscribed": [(Subscriber.unsubscribed_at, Subscriber.status == "unsubscribed")],
        "suppressed": [(Suppression.created_at, None)],
    }


def _days_before(column, condition, first_counted):
    # Before the first counted day's midnight: the same rows as their day being earlier,
    # and an index on the column (provider_events.occurred_at has one) can serve it.
    midnight = datetime.combine(first_counted, time.min)
    query = select(utc_day(column).label("day")).where(column < midnight)
    return query.where(condition) if condition is not None else query


def _fill_day_metric(metric, sources, first_counted):
    parts = [_days_before(column, condition, first_counted) for column, condition in sources]
    rows = (parts[0] if len(parts) == 1 else union_all(*parts)).subquery()
    db.session.execute(insert(DailyCount).from_select(
        ["day", "metric", "shard", "total"],
        select(rows.c.day, literal(metric), literal(BACKFILL_SHARD), func.count())
        .group_by(rows.c.day)))


def _fill_notices(first_counted):
    refusals = (select(Delivery.notification_id.label("notification_id"),
                       literal("bounced").label("metric"))
                .where(_refused()))
    events = (select(ProviderEvent.notification_id.label("notification_id"),
                     case((ProviderEvent.event == "bounce", "bounced"),
                          else_="complaint").label("metric"))
              .where(ProviderEvent.event.in_(("bounce", "spamreport")),
                     ProviderEvent.notification_id.isnot(None)))
    rows = union_all(refusals, events).subquery()
    uncounted = (select(Notification.id)
                 .where(Notification.created_at < datetime.combine(first_counted, time.min),
                        ~exists().where(NotificationCount.notification_id == Notification.id)))
    filled = db.session.scalars(insert(NotificationCount).from_select(
        ["notification_id", "metric", "shard", "total"],
        select(rows.c.notification_id, rows.c.metric, literal(BACKFILL_SHARD), func.count())
        .where(rows.c.notification_id.in_(uncounted))
        .group_by(rows.c.notification_id, rows.c.metric))
        .returning(NotificationCount.notification_id)).all()
    return len(set(filled))


def _mark_first_notice_day(first_counted):
    """A zero ``sent`` on the first notice's day when nothing else landed on or before
    it (a notice nobody was subscribed to): the dashboard then knows the days since that
    notice are filled and stops offering this command."""
    first_notice = select(func.min(utc_day(Notification.created_at))).scalar_subquery()
    db.session.execute(insert(DailyCount).from_select(
        ["day", "metric", "shard", "total"],
        select(first_notice, literal("sent"), literal(BACKFILL_SHARD), literal(0))
        .where(first_notice < first_counted,
               ~exists().where(DailyCount.day <= first_notice))))


@dataclass
class Backfill:
    first_counted: date
    days: int = 0
    first_day: date = None
    totals: dict = field(default_factory=lambda: dict.fromkeys(DAILY_METRICS, 0))
    days_per_metric: dict = field(default_factory=lambda: dict.fromkeys(DAILY_METRICS, 0))
    notices: int = 0


def first_counted_day():
    """The first day the triggers counted (or today, when they counted nothing yet)."""
    day = db.session.scalar(select(func.coalesce(func.min(DailyCount.day), utc_today())))
    return day if isinstance(day, date) else date.fromisoformat(day)


def backfill():
    """Fill the days before the first counted day and the uncounted notices; commit.
    What it filled as a :class:`Backfill`."""
    first_counted = first_counted_day()
    report = Backfill(first_counted=first_counted)
    for metric, sources in _daily_sources().items():
        _fill_day_metric(metric, sources, first_counted)
    report.notices = _fill_notices(first_counted)
    for metric, days, total in db.session.execute(
            select(DailyCount.metric, func.count(DailyCount.day.distinct()),
                   func.sum(DailyCount.total))
            .where(DailyCount.day < first_counted).group_by(DailyCount.metric)):
        report.days_per_metric[metric], report.totals[metric] = days, int(total)
    report.days, report.first_day = db.session.execute(
        select(func.count(DailyCount.day.distinct()), func.min(DailyCount.day))
        .where(DailyCount.day < first_counted)).one()
    _mark_first_notice_day(first_counted)
    if report.days or report.notices:
        audit.record("deliverability_backfilled",
                     f"Filled {report.days} day(s) of deliverability counts before "
                     f"{first_counted.isoformat()} from the stored rows",
                     first_counted=first_counted.isoformat(), days=report.days,
                     notices=report.notices,
                     totals={metric: total for metric, total in report.totals.items() if total})
    db.session.commit()
    return report
