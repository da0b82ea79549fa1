"""What the delivery log reads: notifications with their delivery counts, and failures.

Counts come from one grouped query per page (the deliveries index covers it), never
from loading delivery rows.
"""
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import Delivery, Notification

FINISHED_DELIVERY_STATES = ("sent", "failed", "skipped", "cancelled")


def notifications_page(page, per_page):
    query = select(Notification).order_by(Notification.created_at.desc(), Notification.id.desc())
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def state_counts(notification_ids):
    """``{notification_id: {state: n}}`` for the given notifications."""
    counts = {notification_id: {} for notification_id in notification_ids}
    if not counts:
        return counts
    rows = db.session.execute(
        select(Delivery.notification_id, Delivery.state, func.count())
        .where(Delivery.notification_id.in_(list(counts)))
        .group_by(Delivery.notification_id, Delivery.state))
    for notification_id, state, number in rows:
        counts[notification_id][state] = number
    return counts


def percent_finished(counts, total):
    if not total:
        return 100
    finished = sum(counts.get(state, 0) for state in FINISHED_DELIVERY_STATES)
    return min(100, int(100 * finished / total))


def failures_page(notification_id, page, per_page):
    """Failed deliveries with their subscriber, oldest first (the order they failed in)."""
    query = (select(Delivery).options(joinedload(Delivery.subscriber))
             .where(Delivery.notification_id == notification_id, Delivery.state == "failed")
             .order_by(Delivery.id))
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def first_sent_latency(notification):
    """Seconds from publishing to the first accepted mail, or None before it."""
    first = notification.first_sent_at or db.session.scalar(
        select(func.min(Delivery.sent_at)).where(Delivery.notification_id == notification.id))
    if first is None:
        return None
    return max(0.0, (first - notification.created_at).total_seconds())
