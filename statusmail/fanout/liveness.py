"""Telling a running batch job from a dead one within a lease, whatever RQ's timeouts say.

RQ keeps a SIGKILLed worker's job in its StartedJobRegistry until the job timeout plus
a minute (11 minutes here), then shows it as failed. A batch killed after RQ started it
and before its claim committed holds no lease, so its deliveries would wait that long.
Instead each batch job keeps a key of its own alive in Redis, with the lease as its
time to live, set before it claims and renewed with the lease: a started job without
that key, older than a lease, is dead. The sweeper queues its unclaimed deliveries
again, at the front of the queue, and removes the job from RQ's registry, so work that others finish never shows
as a failed job. (Deliveries it had claimed come back through their lapsed lease.)
"""
import logging
from datetime import timedelta, timezone

import redis
from rq import get_current_job
from rq.exceptions import NoSuchJobError
from rq.job import Job
from rq.registry import StartedJobRegistry
from sqlalchemy import select, update

from ..extensions import db
from ..models import Delivery, Notification, utcnow
from ..queues import get_queue, redis_connection
from . import dequeued
from .queue import enqueue_batches, lease_seconds

log = logging.getLogger(__name__)
ALIVE_KEY = "statusmail:fanout:alive:{}"
BATCH_JOB = "statusmail.jobs.fanout.send_batch"
_NO_SYNC = {"synchronize_session": False}


def beat():
    """Say, for one more lease, that the current batch job is alive (outside RQ: no-op)."""
    job = get_current_job()
    if job is None:
        return
    try:
        redis_connection().set(ALIVE_KEY.format(job.id), 1, ex=max(1, int(lease_seconds())))
    except redis.RedisError as exc:
        # The sweeper may then queue this batch again: a duplicate job claims nothing.
        log.warning("Could not renew the liveness of job %s (%s).", job.id, exc)


def finished():
    job = get_current_job()
    if job is None:
        return
    try:
        with redis_connection().pipeline(transaction=False) as pipe:
            pipe.delete(ALIVE_KEY.format(job.id))
            dequeued.untrack(pipe, job.id)
            pipe.execute()
    except redis.RedisError as exc:
        log.warning("Could not clear the liveness of job %s (%s); it expires.", job.id, exc)


def _started_long_enough_ago(job, now):
    started = job.started_at or job.enqueued_at
    if started is None:
        return True
    if started.tzinfo is not None:
        started = started.astimezone(timezone.utc).replace(tzinfo=None)
    return now - started >= timedelta(seconds=lease_seconds())


def _requeue_unclaimed(notification_id, delivery_ids):
    """The dead job's deliveries still waiting (claimed ones have their lease)."""
    state = db.session.scalar(select(Notification.state)
                              .where(Notification.id == notification_id))
    if state != "sending":
        return 0
    waiting = db.session.scalars(
        update(Delivery).where(Delivery.id.in_(delivery_ids),
                               Delivery.notification_id == notification_id,
                               Delivery.state == "queued", Delivery.next_attempt_at.is_(None))
        .values(updated_at=utcnow()).returning(Delivery.id), execution_options=_NO_SYNC).all()
    db.session.commit()
    return enqueue_batches(notification_id, sorted(waiting), at_front=True)


def _forget(registry, job_id, execution_id, job):
    connection = registry.connection
    connection.zrem(registry.key, f"{job_id}:{execution_id}")
    dequeued.forget(job_id)


def recover_dead_jobs():
    """Started fan-out jobs whose process died: queue their work again, drop the job."""
    connection = redis_connection()
    registry = StartedJobRegistry(queue=get_queue("fanout"))
    now = utcnow()
    queued = 0
    for job_id, execution_id in registry.get_job_and_execution_ids(cleanup=False):
        if connection.exists(ALIVE_KEY.format(job_id)):
            continue
        try:
            job = Job.fetch(job_id, connection=connection)
        except NoSuchJobError:
            _forget(registry, job_id, execution_id, None)
            continue
        if job.func_name != BATCH_JOB or not _started_long_enough_ago(job, now):
            continue  # not a batch (which beats), or not at its first beat yet
        notification_id, delivery_ids = job.args
        log.warning("Fan-out job %s died before finishing; its deliveries go back to the "
                    "queue.", job_id)
        queued += _requeue_unclaimed(notification_id, delivery_ids)
        _forget(registry, job_id, execution_id, job)
    return queued


def recover_dropped_jobs():
    """Batch jobs whose worker died between taking them and starting them (see
    :mod:`.dequeued`): queue their work again, drop the job."""
    queued = 0
    for job_id in dequeued.find_dropped_jobs():
        args = dequeued.fetch_args(job_id)
        if args is not None:
            notification_id, delivery_ids = args
            log.warning("Fan-out job %s was taken by a worker that died before starting it; "
                        "its deliveries go back to the queue.", job_id)
            queued += _requeue_unclaimed(notification_id, delivery_ids)
        dequeued.forget(job_id)
    return queued
