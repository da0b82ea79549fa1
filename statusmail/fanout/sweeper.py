"""Scheduler tasks that keep fan-outs moving when workers die or Redis forgets.

Every task reads the database (the truth), changes rows with guarded UPDATEs and then
queues jobs; running a task twice, or on two schedulers at once, at worst queues a
duplicate job, which finds nothing to claim.
"""
from datetime import timedelta
from itertools import groupby

from flask import current_app
from rq.registry import StartedJobRegistry
from sqlalchemy import exists, func, select, update

from ..extensions import db
from ..models import Delivery, Notification, SiteSettings, utcnow
from ..queues import get_queue
from . import ledger
from .control import UNFINISHED, complete_if_finished, requeue_waiting, resume_notification
from .expand import restart_lapsed_expansions
from .liveness import recover_dead_jobs, recover_dropped_jobs
from .queue import MAX_ATTEMPTS, enqueue_batches, has_jobs_marker

ROWS_PER_TICK = 20_000
_NO_SYNC = {"synchronize_session": False}


def _by_notification(rows):
    """``[(delivery id, notification id, notification state)]`` → grouped by notification."""
    rows = sorted(rows, key=lambda row: (row[1], row[0]))
    for (notification_id, state), group in groupby(rows, key=lambda row: (row[1], row[2])):
        yield notification_id, state, [row[0] for row in group]


def _lapsed_claims(now):
    """``(notification id, its state, lease)`` of each lapsed claim, whole claims only,
    oldest first, about ``ROWS_PER_TICK`` rows in all: a claim split across ticks would
    have its in-flight delivery guessed twice."""
    claims = db.session.execute(
        select(Delivery.notification_id, Notification.state, Delivery.lease_expires_at,
               func.count())
        .join(Notification, Notification.id == Delivery.notification_id)
        .where(Delivery.state == "sending", Delivery.lease_expires_at < now)
        .group_by(Delivery.notification_id, Notification.state, Delivery.lease_expires_at)
        .order_by(func.min(Delivery.id))).all()
    taken, rows = [], 0
    for notification_id, state, lease, count in claims:
        if rows >= ROWS_PER_TICK:
            break
        taken.append((notification_id, state, lease))
        rows += count
    return taken, rows


def release_expired_leases():
    """Deliveries held by a worker that died go back to the front of the queue (or to
    ``cancelled``), the one whose message may have reached the server marked as such
    first. At the front: they have waited a lease, not also the rest of the fan-out."""
    now = utcnow()
    claims, rows = _lapsed_claims(now)
    to_queue = []
    for notification_id, state, lease in claims:
        held = (Delivery.notification_id == notification_id, Delivery.state == "sending",
                Delivery.lease_expires_at == lease)
        expired = update(Delivery).where(*held)
        if state == "cancelled":
            db.session.execute(expired.values(state="cancelled", lease_expires_at=None),
                               execution_options=_NO_SYNC)
            continue
        ledger.mark_maybe_sent(now, *held)
        # A worker that crashes on every try must not loop forever.
        db.session.execute(expired.where(Delivery.attempts >= MAX_ATTEMPTS).values(
            state="failed", lease_expires_at=None,
            smtp_response="The worker sending this stopped responding too many times."),
            execution_options=_NO_SYNC)
        released = db.session.scalars(
            expired.values(state="queued", lease_expires_at=None, next_attempt_at=None)
            .returning(Delivery.id), execution_options=_NO_SYNC).all()
        if state == "sending":
            to_queue.append((notification_id, sorted(released)))
    db.session.commit()
    for notification_id, ids in to_queue:
        enqueue_batches(notification_id, ids, at_front=True)
    return rows


def queue_due_retries():
    """Deliveries whose backoff (or the day's sending limit) has passed get a job."""
    now = utcnow()
    rows = db.session.execute(
        select(Delivery.id, Delivery.notification_id, Notification.state)
        .join(Notification, Notification.id == Delivery.notification_id)
        .where(Notification.state == "sending", Delivery.state == "queued",
               Delivery.next_attempt_at <= now)
        .order_by(Delivery.id).limit(ROWS_PER_TICK)).all()
    to_queue = []
    for notification_id, _, ids in _by_notification(rows):
        due = db.session.scalars(
            update(Delivery).where(Delivery.id.in_(ids), Delivery.state == "queued",
                                   Delivery.next_attempt_at <= now)
            .values(next_attempt_at=None).returning(Delivery.id),
            execution_options=_NO_SYNC).all()
        to_queue.append((notification_id, sorted(due)))
    db.session.commit()
    for notification_id, ids in to_queue:
        enqueue_batches(notification_id, ids)
    return len(rows)


def _waiting(notification_id_column):
    return exists().where(Delivery.notification_id == notification_id_column,
                          Delivery.state == "queued", Delivery.next_attempt_at.is_(None))


def _fanout_idle(notification_id):
    """No fan-out job is waiting, and none of this notification's is running."""
    queue = get_queue("fanout")
    if queue.count:
        return False
    prefix = f"fanout-{notification_id}-"
    running = StartedJobRegistry(queue=queue).get_job_ids(cleanup=False)
    return not any(job_id.startswith(prefix) for job_id in running)


def recover_lost_jobs():
    """Queue again what Redis lost: all waiting deliveries of a notification whose job
    marker is gone (Redis flushed or restarted empty). As a backstop, deliveries left
    waiting for ``FANOUT_STALE_SECONDS`` (60) while no fan-out job is queued or running
    for them (their job died before it could claim them).
    """
    stale_after = timedelta(seconds=current_app.config.get("FANOUT_STALE_SECONDS", 60))
    notification_ids = db.session.scalars(
        select(Notification.id).where(Notification.state == "sending",
                                      _waiting(Notification.id))).all()
    queued = 0
    for notification_id in notification_ids:
        if not has_jobs_marker(notification_id):
            queued += requeue_waiting(notification_id)
            continue
        if not _fanout_idle(notification_id):
            continue
        stale = db.session.scalars(
            update(Delivery).where(Delivery.notification_id == notification_id,
                                   Delivery.state == "queued", Delivery.next_attempt_at.is_(None),
                                   Delivery.updated_at < utcnow() - stale_after)
            .values(updated_at=utcnow()).returning(Delivery.id),
            execution_options=_NO_SYNC).all()
        db.session.commit()
        queued += enqueue_batches(notification_id, sorted(stale))
    return queued


def resume_after_provider_fix():
    """Notifications the provider paused carry on once the operator saved working settings."""
    if SiteSettings.get().provider_failure:
        return 0
    paused = db.session.scalars(select(Notification.id).where(
        Notification.state == "paused", Notification.paused_by == "provider")).all()
    return sum(resume_notification(notification_id) for notification_id in paused)


def complete_finished():
    """Backstop for a batch that died before it could mark its notification complete."""
    done = db.session.scalars(select(Notification.id).where(
        Notification.state == "sending",
        ~exists().where(Delivery.notification_id == Notification.id,
                        Delivery.state.in_(UNFINISHED)))).all()
    return sum(complete_if_finished(notification_id) for notification_id in done)


FANOUT_TASKS = [release_expired_leases, queue_due_retries, recover_dead_jobs, recover_dropped_jobs,
                recover_lost_jobs, resume_after_provider_fix, complete_finished,
                restart_lapsed_expansions]
