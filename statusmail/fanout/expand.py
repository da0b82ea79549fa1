"""Expanding a notice's audience into delivery rows, one chunk of subscribers at a time.

Publishing only records the notice (and the highest subscriber id then), so the request
costs the same at ten subscribers or a million. This step, run by a job that carries the
notification id alone, copies the audience into deliveries with INSERT … SELECT over a
keyset range of subscriber ids: each chunk is one transaction that moves the notice's
cursor and adds the chunk's deliveries, and memory holds one chunk of ids at most.

``ON CONFLICT DO NOTHING`` on the unique (subscriber, notification) constraint makes a
repeated chunk insert nothing, so a second run, a run racing another one or a run after
a crash at any point adds no duplicate. Batches are queued as each chunk commits, so the
first mail leaves while the rest of the list is still being expanded; after its first
chunk and then every ``FANOUT_EXPAND_SECONDS`` a run hands over to a fresh job at the
back of the queue, so a single worker interleaves expanding and sending.

A run renews the notice's expansion lease with every chunk; the sweeper starts a new run
for a notice whose lease lapsed (its job was lost with Redis, or its worker died).
"""
import logging
import secrets
import time
from datetime import timedelta

import redis
from flask import current_app
from sqlalchemy import literal, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from ..extensions import db
from ..models import Delivery, Notification, Subscriber, utcnow
from ..queues import get_queue
from ..services.delivery_settings import delivery_settings
from .audience import audience_condition
from .queue import batch_size, enqueue_batches, lease_seconds

log = logging.getLogger(__name__)
JOB = "statusmail.jobs.expansion.expand_audience"
DEFAULT_CHUNK = 5000
DEFAULT_SECONDS = 2.0
_NO_SYNC = {"synchronize_session": False}
_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def expansion_lease():
    return utcnow() + timedelta(seconds=lease_seconds())


def enqueue_expansion(notification_id, at_front=True):
    """Queue a run; a Redis failure is logged, not raised (the sweeper starts one later)."""
    try:
        get_queue("fanout").enqueue(
            JOB, notification_id, at_front=at_front, result_ttl=600,
            job_id=f"expand-{notification_id}-{secrets.token_hex(4)}",
            description=f"notification #{notification_id}: expand the audience")
    except redis.RedisError as exc:
        log.warning("Could not queue the expansion of notification #%s (%s); the sweeper will.",
                    notification_id, exc)
        return False
    return True


def expand(notification_id):
    """Expand chunks until done or out of time; returns a line for the dashboard."""
    # The first chunk is one batch (for SendGrid one request): the first mail need not wait.
    chunk = batch_size(delivery_settings())
    deadline = time.monotonic() + current_app.config.get("FANOUT_EXPAND_SECONDS",
                                                         DEFAULT_SECONDS)
    added = chunks = 0
    while True:
        step = expand_chunk(notification_id, chunk)
        if step is None:
            return f"expanded: {added} deliveries added in {chunks} chunks"
        added, chunks = added + step, chunks + 1
        if chunks == 1 or time.monotonic() > deadline:
            enqueue_expansion(notification_id, at_front=False)
            return f"{added} deliveries added in {chunks} chunks; continues in a new job"
        chunk = current_app.config.get("FANOUT_EXPAND_CHUNK", DEFAULT_CHUNK)


def expand_chunk(notification_id, size):
    """Add the deliveries of the next ``size`` subscribers; ``None`` once nothing is left.

    Returns how many deliveries this chunk added (0 when another run had added them).
    """
    while True:
        notice = db.session.execute(
            select(Notification.state, Notification.kind, Notification.expanding,
                   Notification.expanded_through, Notification.audience_max_subscriber_id,
                   Notification.audience_component_ids)
            .where(Notification.id == notification_id)).one_or_none()
        db.session.rollback()
        if notice is None or not notice.expanding:
            return None
        start, last = notice.expanded_through, notice.audience_max_subscriber_id or 0
        if start >= last or notice.state not in ("sending", "paused"):
            finish(notification_id)
            return None
        end = db.session.scalar(
            select(Subscriber.id).where(Subscriber.id > start, Subscriber.id <= last)
            .order_by(Subscriber.id).offset(size - 1).limit(1)) or last
        # Moving the cursor first locks the notice: a concurrent run waits, finds the
        # cursor moved, and reads it again.
        moved = db.session.execute(
            update(Notification).where(Notification.id == notification_id,
                                       Notification.expanded_through == start,
                                       Notification.expanding.is_(True))
            .values(expanded_through=end, expansion_lease_expires_at=expansion_lease()),
            execution_options=_NO_SYNC)
        if moved.rowcount != 1:
            db.session.rollback()
            continue
        ids = _insert_deliveries(notification_id, notice, start, end)
        if ids:
            db.session.execute(update(Notification).where(Notification.id == notification_id)
                               .values(total=Notification.total + len(ids)),
                               execution_options=_NO_SYNC)
        db.session.commit()
        if ids and notice.state == "sending":
            enqueue_batches(notification_id, sorted(ids))
        return len(ids)


def _insert_deliveries(notification_id, notice, start, end):
    """INSERT … SELECT the range's audience, skipping deliveries that exist; new ids."""
    audience = (select(literal(notification_id), Subscriber.id, literal("queued"), literal(0),
                       literal(utcnow(), db.DateTime))
                .where(Subscriber.id > start, Subscriber.id <= end,
                       *audience_condition(notice.kind, notice.audience_component_ids or [])))
    statement = (_INSERTS[db.engine.dialect.name](Delivery)
                 .from_select(["notification_id", "subscriber_id", "state", "attempts",
                               "updated_at"], audience)
                 .on_conflict_do_nothing(index_elements=["subscriber_id", "notification_id"])
                 .returning(Delivery.id))
    return db.session.scalars(statement, execution_options=_NO_SYNC).all()


def finish(notification_id):
    """Mark the audience complete; a notice with nobody in it is completed at once.

    A notice cancelled while expanding may have gained deliveries after the cancel
    cancelled the waiting ones: those are cancelled here.
    """
    from .control import complete_if_finished
    now = utcnow()
    db.session.execute(
        update(Notification).where(Notification.id == notification_id,
                                   Notification.expanding.is_(True))
        .values(expanding=False, expansion_lease_expires_at=None), execution_options=_NO_SYNC)
    db.session.execute(
        update(Notification).where(Notification.id == notification_id,
                                   Notification.state == "sending", Notification.total == 0)
        .values(state="completed", finished_at=now), execution_options=_NO_SYNC)
    state = db.session.scalar(select(Notification.state)
                              .where(Notification.id == notification_id))
    if state == "cancelled":
        db.session.execute(
            update(Delivery).where(Delivery.notification_id == notification_id,
                                   Delivery.state == "queued")
            .values(state="cancelled", next_attempt_at=None), execution_options=_NO_SYNC)
    db.session.commit()
    complete_if_finished(notification_id)


def restart_lapsed_expansions():
    """Sweeper task: a new run for every expansion whose lease lapsed (job lost with
    Redis, or its worker died). The lease is renewed in the same UPDATE, so the next
    tick does not queue another while this one waits for a worker."""
    lapsed = db.session.scalars(
        update(Notification)
        .where(Notification.expanding.is_(True),
               or_(Notification.expansion_lease_expires_at.is_(None),
                   Notification.expansion_lease_expires_at < utcnow()))
        .values(expansion_lease_expires_at=expansion_lease())
        .returning(Notification.id), execution_options=_NO_SYNC).all()
    db.session.commit()
    return sum(enqueue_expansion(notification_id) for notification_id in sorted(lapsed))
