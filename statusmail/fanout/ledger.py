"""The delivery ledger: claiming rows with a lease and recording each outcome at once.

Every change is a small committed UPDATE guarded by the state it expects, so two
workers (or a worker and the sweeper) can never both own a delivery, and a delivery
the server accepted is recorded before the next message is sent.

A lapsed lease means its worker died (or stalled) holding the deliveries. A batch sends
in id order and commits each outcome before the next message, so of the deliveries a
lapsed claim still holds only the lowest may have reached the server: that one is
marked ``maybe_sent_before`` (and counted on its notification) before it is offered
again; its next copy carries the same Message-ID. A batch that sends many deliveries in
one request (SendGrid) marks them ``in_flight`` first (:func:`mark_in_flight`), so all of
them are marked if it dies before the answer is recorded.
"""
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import and_, case, func, or_, select, update

from ..extensions import db
from ..models import Delivery, Notification, Subscriber, utcnow
from ..models.subscribers import SUPPRESS_AFTER_BOUNCES
from ..services.suppressions import suppress
from .queue import MAX_ATTEMPTS, lease_seconds, retry_delay

_NO_SYNC = {"synchronize_session": False}


@dataclass
class Recipient:
    delivery_id: int
    attempts: int
    subscriber_id: int
    email: str
    status: str
    link_key: str


def _execute(statement):
    return db.session.execute(statement, execution_options=_NO_SYNC)


def claimable(now):
    """Queued and due. A lapsed lease goes back through the sweeper, which marks the
    delivery whose message may have been in flight before anyone sends it again."""
    return and_(Delivery.state == "queued",
                or_(Delivery.next_attempt_at.is_(None), Delivery.next_attempt_at <= now))


def mark_maybe_sent(now, *conditions):
    """Mark the one delivery per lapsed claim (among ``conditions``) whose message may
    have been accepted already; returns how many were newly marked."""
    in_flight = (select(func.min(Delivery.id))
                 .where(Delivery.state == "sending", Delivery.lease_expires_at < now, *conditions)
                 .group_by(Delivery.notification_id, Delivery.lease_expires_at))
    in_one_request = and_(Delivery.in_flight.is_(True), Delivery.state == "sending",
                          Delivery.lease_expires_at < now, *conditions)
    marked = db.session.scalars(
        update(Delivery)
        .where(or_(Delivery.id.in_(in_flight), in_one_request),
               Delivery.maybe_sent_before.is_(False))
        .values(maybe_sent_before=True)
        .returning(Delivery.notification_id), execution_options=_NO_SYNC).all()
    for notification_id, count in Counter(marked).items():
        _execute(update(Notification).where(Notification.id == notification_id)
                 .values(maybe_sent_twice=Notification.maybe_sent_twice + count))
    return len(marked)


def claim(notification_id, delivery_ids):
    """Take what nobody else holds; returns ``(lease, claimed ids)``.

    Only the primary key may lead this UPDATE to its rows: the other conditions sit in a
    CASE, which no index serves. Between fan-outs "queued" is rare, so with up-to-date
    statistics PostgreSQL would otherwise pick the state index and read every queued
    row of the notification for each batch, work that grows with the list.
    """
    now = utcnow()
    lease = now + timedelta(seconds=lease_seconds())
    ours = and_(Delivery.notification_id == notification_id, claimable(now))
    claimed = db.session.scalars(
        update(Delivery)
        .where(Delivery.id.in_(delivery_ids), case((ours, True), else_=False))
        .values(state="sending", lease_expires_at=lease, attempts=Delivery.attempts + 1,
                in_flight=False)
        .returning(Delivery.id), execution_options=_NO_SYNC).all()
    db.session.commit()
    return lease, sorted(claimed)


def mark_in_flight(delivery_ids, lease):
    """Before one request carries all of ``delivery_ids``: should we die before its answer
    is recorded, each of them may have been accepted (see :func:`mark_maybe_sent`).
    Returns the ids still ours."""
    held = db.session.scalars(
        update(Delivery)
        .where(Delivery.id.in_(delivery_ids), Delivery.state == "sending",
               Delivery.lease_expires_at == lease)
        .values(in_flight=True)
        .returning(Delivery.id), execution_options=_NO_SYNC).all()
    db.session.commit()
    return set(held)


def renew(delivery_ids, lease):
    """Extend our lease; the lease time doubles as our claim (a successor's differs)."""
    new_lease = utcnow() + timedelta(seconds=lease_seconds())
    held = db.session.scalars(
        update(Delivery)
        .where(Delivery.id.in_(delivery_ids), Delivery.state == "sending",
               Delivery.lease_expires_at == lease)
        .values(lease_expires_at=new_lease)
        .returning(Delivery.id), execution_options=_NO_SYNC).all()
    db.session.commit()
    return new_lease, set(held)


def load_recipients(delivery_ids):
    """Everything a batch needs about its subscribers: two lookups by primary key.

    Not a join: for a join the planner may read and hash the whole subscribers table,
    for each batch. Selected from the tables rather than the mapped classes, so the rows
    skip the ORM's per-row loading (a tenth of a batch's time spent outside sending).
    """
    deliveries, subscribers = Delivery.__table__.c, Subscriber.__table__.c
    rows = db.session.execute(
        select(deliveries.id, deliveries.attempts, deliveries.subscriber_id)
        .where(deliveries.id.in_(delivery_ids)).order_by(deliveries.id)).all()
    found = {row[0]: row[1:] for row in db.session.execute(
        select(subscribers.id, subscribers.email, subscribers.status, subscribers.link_key)
        .where(subscribers.id.in_(sorted({row[2] for row in rows}))))}
    # A subscriber deleted meanwhile took its delivery with it.
    return [Recipient(delivery_id, attempts, subscriber_id, *found[subscriber_id])
            for delivery_id, attempts, subscriber_id in rows if subscriber_id in found]


def retry_later(recipients, error):
    """Back to the queue after a backoff; failed for good after ``MAX_ATTEMPTS``."""
    now = utcnow()
    for recipient in recipients:
        if recipient.attempts >= MAX_ATTEMPTS:
            values = {"state": "failed", "next_attempt_at": None}
        else:
            values = {"state": "queued", "next_attempt_at": now + retry_delay(recipient.attempts)}
        _execute(update(Delivery).where(Delivery.id == recipient.delivery_id,
                                        Delivery.state == "sending")
                 .values(lease_expires_at=None, smtp_code=error.code,
                         smtp_response=error.describe(), **values))
    db.session.commit()


def fail(recipient, error, bounced=False):
    """A final refusal; a refused recipient counts a bounce and is suppressed at the limit."""
    _execute(update(Delivery).where(Delivery.id == recipient.delivery_id).values(
        state="failed", lease_expires_at=None, next_attempt_at=None, smtp_code=error.code,
        smtp_response=error.describe()))
    if bounced:
        _count_bounce(recipient, error)
    db.session.commit()


def _count_bounce(recipient, error):
    """One more bounce; at the limit the subscriber is "bounced" and the address goes on
    the suppression list (source smtp), so it stays unmailed even if the row is removed."""
    bounces = Subscriber.bounce_count + 1
    at_limit = db.session.scalar(
        update(Subscriber).where(Subscriber.id == recipient.subscriber_id).values(
            bounce_count=bounces, last_bounce=error.describe(),
            status=case((and_(Subscriber.status == "confirmed",
                              bounces >= SUPPRESS_AFTER_BOUNCES), "bounced"),
                        else_=Subscriber.status))
        .returning(and_(Subscriber.status == "bounced",
                        Subscriber.bounce_count >= SUPPRESS_AFTER_BOUNCES)),
        execution_options=_NO_SYNC)
    if at_limit:
        notification_id = db.session.scalar(
            select(Delivery.notification_id).where(Delivery.id == recipient.delivery_id))
        suppress(recipient.email, "smtp_refusal", "smtp", detail=error.describe(),
                 notification_id=notification_id, commit=False)


def release(delivery_ids, next_attempt_at=None):
    """Give untried deliveries back to the queue, their attempt not counted."""
    if delivery_ids:
        _execute(update(Delivery).where(Delivery.id.in_(delivery_ids), Delivery.state == "sending")
                 .values(state="queued", lease_expires_at=None, next_attempt_at=next_attempt_at,
                         attempts=case((Delivery.attempts > 0, Delivery.attempts - 1), else_=0)))
    db.session.commit()


def finish_held(delivery_ids, state, reason):
    """Close held deliveries without sending: ``cancelled`` or ``skipped``."""
    if delivery_ids:
        _execute(update(Delivery).where(Delivery.id.in_(delivery_ids), Delivery.state == "sending")
                 .values(state=state, lease_expires_at=None, next_attempt_at=None,
                         smtp_response=reason))
    db.session.commit()
