"""Deferred deliveries: queued again after a temporary failure, waiting for their backoff.

A notice whose only unfinished deliveries are deferred sends nothing until the first
backoff ends: its average rate falls by the second although nothing is wrong. The
delivery log shows such a notice as "waiting for retries", with the next attempt's time.

The questions are index probes per notice (``ix_deliveries_notification_state``): is a
delivery in flight, is one queued without a retry time, and the earliest retry time.
None reads the deferred rows themselves, however many there are.
"""
from sqlalchemy import and_, literal_column, select

from ..extensions import db
from ..models import Delivery, Notification

WAITING_FOR_RETRIES = "waiting_for_retries"


def _deliveries_in(state):
    """The notice's deliveries in ``state``: a literal, not a parameter, so the planner
    sees the index's ``state`` prefix (see services.delivery_log.failures_page)."""
    return and_(Delivery.notification_id == Notification.id,
                Delivery.state == literal_column(f"'{state}'"))


def _none(*conditions):
    """No delivery matches: a subquery that stops at the first index entry. (NOT EXISTS
    lets PostgreSQL plan an anti-join over a bitmap of every match, which grows with
    the notice.)"""
    return (select(literal_column("1")).where(*conditions).limit(1)
            .correlate(Notification).scalar_subquery().is_(None))


def next_retries(notification_ids):
    """``{notification id: earliest next attempt}`` for the notices among these that wait
    only for retries: sending, fully expanded, nothing in flight, nothing queued to send
    now, and something deferred. One statement, whatever the notices' states, so a page
    asks the same questions whatever it lists."""
    if not notification_ids:
        return {}
    # ORDER BY … LIMIT 1 rather than min(): both databases then read one index entry
    # (SQLite's min() shortcut wants the column first in the index).
    earliest = (select(Delivery.next_attempt_at)
                .where(_deliveries_in("queued"), Delivery.next_attempt_at.is_not(None))
                .order_by(Delivery.next_attempt_at).limit(1)
                .correlate(Notification).scalar_subquery())
    rows = db.session.execute(
        select(Notification.id, earliest)
        .where(Notification.id.in_(list(notification_ids)),
               Notification.state == "sending", Notification.expanding.is_(False),
               _none(_deliveries_in("sending")),
               _none(_deliveries_in("queued"), Delivery.next_attempt_at.is_(None))))
    return {notification_id: at for notification_id, at in rows if at is not None}


def display_state(notification, next_retry):
    """The state the log shows: "waiting for retries" instead of "sending" when only
    deferred deliveries remain."""
    return WAITING_FOR_RETRIES if next_retry is not None else notification.display_state
