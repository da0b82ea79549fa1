"""Prometheus metrics: the state of the work, read when scraped, plus send counters.

Gauges are read at scrape time from the counts the database maintains (subscribers by
status, deliveries by state: a few rows per notice, see :mod:`..models.counts`) and
from Redis, never by counting deliveries or subscribers, so a scrape costs the same at
1k and at 1M. The retry backlog has no maintained count (it depends on the clock): it
is counted up to ``RETRY_BACKLOG_CAP`` index entries, a bounded read.
Counters (messages accepted, errors by kind) live in one Redis hash that every worker
increments once per batch; Prometheus treats a reset (Redis flushed) as a counter reset.
"""
import logging
import time

import redis
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from sqlalchemy import exists, func, select

from ..extensions import db
from ..models import (
    Delivery, DeliveryStateCount, Notification, SubscriberStatusCount, utcnow,
)
from ..models.notifications import DELIVERY_STATES
from ..models.subscribers import SUBSCRIBER_STATUSES
from ..queues import get_queue, redis_connection, worker_heartbeats

log = logging.getLogger(__name__)
COUNTERS_KEY = "statusmail:metrics:counters"
ACTIVE_NOTICE_STATES = ("sending", "paused")
RETRY_BACKLOG_CAP = 10_000


def count_sent(provider, count):
    """Add ``count`` accepted messages for ``provider``; never lets a metric fail a job."""
    _increment(f"sent|{provider}|", count)


def count_error(provider, kind, count=1):
    """Add ``count`` send errors of ``kind`` (an error class name) for ``provider``."""
    _increment(f"error|{provider}|{kind}", count)


def _increment(field, count):
    if count <= 0:
        return
    try:
        redis_connection().hincrby(COUNTERS_KEY, field, count)
    except redis.RedisError as exc:
        log.warning("Could not count %s in the metrics: %s", field, exc)


class StatusmailCollector:
    """Collects at scrape time inside the app context of the request."""

    def __init__(self, queue_names):
        self.queue_names = queue_names

    def collect(self):
        yield from self._deliveries()
        yield from self._redis_side()

    def _deliveries(self):
        active = select(Notification.id).where(Notification.state.in_(ACTIVE_NOTICE_STATES))
        by_state = dict.fromkeys(DELIVERY_STATES, 0)
        by_state.update(db.session.execute(
            select(DeliveryStateCount.state, func.sum(DeliveryStateCount.total))
            .where(DeliveryStateCount.notification_id.in_(active))
            .group_by(DeliveryStateCount.state)).all())
        gauge = GaugeMetricFamily("statusmail_deliveries",
                                  "Deliveries of notices in progress, by state", labels=["state"])
        for state, count in by_state.items():
            gauge.add_metric([state], int(count))
        yield gauge
        yield self._subscribers()

        now = utcnow()
        retrying = (select(Delivery.id)
                    .where(Delivery.notification_id.in_(active), Delivery.state == "queued",
                           Delivery.next_attempt_at > now)
                    .limit(RETRY_BACKLOG_CAP).subquery())
        backlog = db.session.scalar(select(func.count()).select_from(retrying))
        yield GaugeMetricFamily("statusmail_retry_backlog",
                                "Deliveries waiting for a retry after a temporary failure "
                                f"(counted up to {RETRY_BACKLOG_CAP})", value=backlog or 0)

        waiting = exists().where(Delivery.notification_id == Notification.id,
                                 Delivery.state.in_(("queued", "sending")))
        oldest = db.session.scalar(
            select(func.min(Notification.created_at))
            .where(Notification.state.in_(ACTIVE_NOTICE_STATES), waiting))
        db.session.commit()
        yield GaugeMetricFamily(
            "statusmail_oldest_queued_delivery_age_seconds",
            "Age of the oldest notice that still has deliveries waiting (0: none waiting)",
            value=(now - oldest).total_seconds() if oldest else 0)

    @staticmethod
    def _subscribers():
        by_status = dict.fromkeys(SUBSCRIBER_STATUSES, 0)
        by_status.update(db.session.execute(
            select(SubscriberStatusCount.status, SubscriberStatusCount.total)).all())
        gauge = GaugeMetricFamily("statusmail_subscribers", "Subscribers by status",
                                  labels=["status"])
        for status, count in by_status.items():
            gauge.add_metric([status], int(count))
        return gauge

    def _redis_side(self):
        depth = GaugeMetricFamily("statusmail_queue_depth", "Jobs waiting in each RQ queue",
                                  labels=["queue"])
        sent = CounterMetricFamily("statusmail_messages_sent",
                                   "Messages the provider accepted", labels=["provider"])
        errors = CounterMetricFamily("statusmail_send_errors",
                                     "Send errors, by provider and kind",
                                     labels=["provider", "kind"])
        try:
            for name in self.queue_names:
                depth.add_metric([name], get_queue(name).count)
            alive = sum(1 for _, _, fresh in worker_heartbeats() if fresh)
            counters = redis_connection().hgetall(COUNTERS_KEY)
            up = 1
        except redis.RedisError as exc:
            log.warning("Metrics: Redis unreachable: %s", exc)
            alive, counters, up = 0, {}, 0
        for field, value in counters.items():
            kind, provider, detail = field.decode().split("|", 2)
            if kind == "sent":
                sent.add_metric([provider], int(value))
            else:
                errors.add_metric([provider, detail], int(value))
        yield depth
        yield GaugeMetricFamily("statusmail_workers", "RQ workers with a fresh heartbeat",
                                value=alive)
        yield GaugeMetricFamily("statusmail_redis_up", "1 when Redis answered this scrape",
                                value=up)
        yield sent
        yield errors
        yield GaugeMetricFamily("statusmail_scrape_timestamp_seconds",
                                "When these figures were read", value=time.time())
