"""One-off mail: write the row first (the database is the truth), then queue its job.

If Redis is down when the row is written, the sweeper queues it later; nothing is lost.
"""
import logging
from datetime import timedelta

import redis
from flask import current_app
from rq import Queue
from sqlalchemy import select

from ..extensions import db
from ..models import OutboundMail, utcnow
from ..queues import get_queue

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 10


def backoff(attempts):
    """30 s, 1 min, 2 min … capped at one hour."""
    return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 3600))


def outbound_job_id(row):
    return _job_id(row.id, row.attempts)


def _job_id(outbound_id, attempts):
    return f"outbound-{outbound_id}-{attempts}"


def queue_outbound(kind, recipient, **fields):
    """Create and commit an ``OutboundMail`` row, then enqueue its job."""
    row = OutboundMail(kind=kind, recipient=recipient, **fields)
    db.session.add(row)
    db.session.commit()
    enqueue_outbound(row)
    return row


def enqueue_outbound_range(kind, first_id, last_id, chunk=1000):
    """Queue the jobs of the ``kind`` rows with ids in [first_id, last_id] that are still
    queued, a chunk at a time: the CSV import writes its confirmation mails in its own
    transaction and queues them once that committed."""
    after = first_id - 1
    while ids := db.session.scalars(
            select(OutboundMail.id)
            .where(OutboundMail.id > after, OutboundMail.id <= last_id,
                   OutboundMail.kind == kind, OutboundMail.state == "queued")
            .order_by(OutboundMail.id).limit(chunk)).all():
        _enqueue_many(kind, ids, chunk)
        after = ids[-1]
    db.session.commit()


def _enqueue_many(kind, outbound_ids, chunk=1000):
    from ..jobs.outbound import send_outbound
    queue, timeout = get_queue("outbound"), max(60, 4 * _timeout())
    try:
        for start in range(0, len(outbound_ids), chunk):
            queue.enqueue_many([
                Queue.prepare_data(send_outbound, args=(outbound_id,), timeout=timeout,
                                   job_id=_job_id(outbound_id, 0),
                                   description=f"{kind} mail #{outbound_id}")
                for outbound_id in outbound_ids[start:start + chunk]])
    except redis.RedisError as exc:
        log.warning("Could not queue %d %s mails (%s); the sweeper will.",
                    len(outbound_ids), kind, exc)


def enqueue_outbound(row, retry=False):
    from ..jobs.outbound import send_outbound
    job_id = outbound_job_id(row) + (f"-r{int(utcnow().timestamp())}" if retry else "")
    try:
        get_queue("outbound").enqueue(send_outbound, row.id, job_id=job_id,
                                      job_timeout=max(60, 4 * _timeout()),
                                      description=f"{row.kind} mail #{row.id}")
    except redis.RedisError as exc:
        log.warning("Could not queue outbound mail #%s (%s); the sweeper will.", row.id, exc)


def _timeout():
    from .delivery_settings import delivery_settings
    return delivery_settings().smtp_timeout


def due_outbound(now=None):
    """Rows a job should be working on: queued and due, or claimed by a dead worker."""
    now = now or utcnow()
    lease_gone = (OutboundMail.state == "sending") & (OutboundMail.lease_expires_at < now)
    due = (OutboundMail.state == "queued") & (
        OutboundMail.next_attempt_at.is_(None) | (OutboundMail.next_attempt_at <= now))
    return OutboundMail.query.filter(lease_gone | due)


def lease_until(now):
    return now + timedelta(seconds=current_app.config["DELIVERY_LEASE_SECONDS"])
