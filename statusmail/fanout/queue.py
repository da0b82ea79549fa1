"""Putting deliveries on the "fanout" queue: a few hundred ids per job, enqueued in bulk.

Redis may lose its jobs (restart without persistence, flush). Each notification with
jobs in Redis has a marker key written in the same MULTI/EXEC as the jobs, so the jobs
and the marker vanish together and the sweeper can tell that work was lost.
Duplicate jobs are harmless: a delivery is claimed in the database, by one worker.
"""
import logging
import math
import secrets
from datetime import timedelta

import redis
from flask import current_app
from rq import Queue
from sqlalchemy import select

from ..extensions import db
from ..models import Delivery
from ..queues import get_queue, redis_connection
from ..services.delivery_settings import delivery_settings
from . import dequeued

log = logging.getLogger(__name__)
MARKER = "statusmail:fanout:jobs:{}"
JOBS_PER_ENQUEUE = 500
MAX_ATTEMPTS = 10
RESULT_TTL = 600


def batch_size(settings=None):
    """Deliveries per job: ``FANOUT_BATCH_SIZE``; through SendGrid one request's worth
    (``SENDGRID_RECIPIENTS_PER_REQUEST``, see :mod:`.personalized`) when that is more."""
    size = max(1, current_app.config["FANOUT_BATCH_SIZE"])
    if settings is not None and settings.provider == "sendgrid":
        size = max(size, current_app.config.get("SENDGRID_RECIPIENTS_PER_REQUEST", 1))
    return size


def lease_seconds():
    return current_app.config["DELIVERY_LEASE_SECONDS"]


def retry_delay(attempts):
    """Exponential backoff from ``FANOUT_RETRY_BASE_SECONDS`` (30 s), capped at one hour."""
    base = current_app.config.get("FANOUT_RETRY_BASE_SECONDS", 30)
    return timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), 3600))


def _job_timeout(count, settings):
    """Long enough for a whole batch at the configured rate, plus slow servers."""
    per_second = settings.rate_per_second or 50
    return max(600, math.ceil(count / per_second) * 2 + 4 * settings.smtp_timeout)


def has_jobs_marker(notification_id):
    return bool(redis_connection().exists(MARKER.format(notification_id)))


def clear_jobs_marker(notification_id):
    try:
        redis_connection().delete(MARKER.format(notification_id))
    except redis.RedisError as exc:
        log.warning("Could not clear the job marker of notification #%s (%s).",
                    notification_id, exc)


def _enqueue_chunk(notification_id, batches, timeout, at_front):
    from ..jobs.fanout import send_batch
    connection = redis_connection()
    if at_front:
        batches = batches[::-1]  # each is pushed to the front: the lowest ids end up first
    job_ids = [f"fanout-{notification_id}-{ids[0]}-{secrets.token_hex(4)}" for ids in batches]
    with connection.pipeline() as pipe:
        get_queue("fanout").enqueue_many([
            Queue.prepare_data(send_batch, args=(notification_id, ids), timeout=timeout,
                               result_ttl=RESULT_TTL, job_id=job_id, at_front=at_front,
                               description=f"notification #{notification_id}: "
                                           f"{len(ids)} deliveries from #{ids[0]}")
            for job_id, ids in zip(job_ids, batches)], pipeline=pipe)
        dequeued.track(pipe, job_ids)
        pipe.set(MARKER.format(notification_id), 1)
        pipe.execute()


def enqueue_batches(notification_id, delivery_ids, at_front=False):
    """Queue jobs for ``delivery_ids`` (any iterable); returns how many ids were queued.

    ``at_front`` for work a dead worker held: it has waited a lease already, and behind
    the rest of a large fan-out it would wait for all of that too.
    A Redis failure is logged, not raised: the rows are committed and the sweeper
    queues them once Redis answers again.
    """
    settings = delivery_settings()
    size, pending, batches, queued = batch_size(settings), [], [], 0
    timeout = _job_timeout(size, settings)
    try:
        for delivery_id in delivery_ids:
            pending.append(delivery_id)
            if len(pending) == size:
                batches.append(pending)
                pending = []
            # The first job goes out alone, so a worker starts while the rest are queued.
            if len(batches) == (JOBS_PER_ENQUEUE if queued else 1):
                _enqueue_chunk(notification_id, batches, timeout, at_front)
                queued += sum(map(len, batches))
                batches = []
        if pending:
            batches.append(pending)
        if batches:
            _enqueue_chunk(notification_id, batches, timeout, at_front)
            queued += sum(map(len, batches))
    except redis.RedisError as exc:
        log.warning("Could not queue deliveries of notification #%s (%s); the sweeper will.",
                    notification_id, exc)
    return queued


def pending_delivery_ids(notification_id, *conditions):
    """Ids of queued deliveries a job should pick up, streamed (memory stays flat)."""
    query = (select(Delivery.id)
             .where(Delivery.notification_id == notification_id, Delivery.state == "queued",
                    Delivery.next_attempt_at.is_(None), *conditions)
             .order_by(Delivery.id)
             .execution_options(yield_per=5000))
    return db.session.scalars(query)
