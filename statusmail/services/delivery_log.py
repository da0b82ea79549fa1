"""What the delivery log reads: notifications with their delivery counts, and failures.

Every read is bounded by the page: counts come from the maintained per-state counts
(:mod:`statusmail.fanout.counts`), pages are keyset pages, and nothing counts or scans
a notice's deliveries.
"""
from sqlalchemy import literal_column, select
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..fanout.counts import state_counts  # noqa: F401  (the log's counts, re-exported)
from ..fanout.deferred import display_state, next_retries
from ..models import Delivery, Notification
from .keyset import keyset_page

FINISHED_DELIVERY_STATES = ("sent", "failed", "skipped", "cancelled")


def notifications_page(per_page, after=None, before=None):
    return keyset_page(select(Notification), Notification.id, per_page, after, before)


def percent_finished(counts, notification):
    """Whole percent finished; while still expanding, of the share expanded so far."""
    total = notification.total
    if not total:
        return 0 if notification.expanding else 100
    finished = sum(counts.get(state, 0) for state in FINISHED_DELIVERY_STATES)
    percent = min(100, int(100 * finished / total))
    if notification.expanding and notification.audience_max_subscriber_id:
        percent = int(percent * notification.expanded_through
                      / notification.audience_max_subscriber_id)
    return percent


def failures_page(notification_id, per_page, after=None, before=None):
    """Failed deliveries with their subscriber, most recent id first."""
    # A literal, not a parameter: SQLite uses a partial index only for a WHERE it can
    # see implies the index's own (``state = 'failed'``).
    query = (select(Delivery).options(joinedload(Delivery.subscriber))
             .where(Delivery.notification_id == notification_id,
                    Delivery.state == literal_column("'failed'")))
    return keyset_page(query, Delivery.id, per_page, after, before)


def display_states(notifications):
    """``{notification id: state shown}`` for a page of the log, in one statement."""
    waiting = next_retries([n.id for n in notifications])
    return {n.id: display_state(n, waiting.get(n.id)) for n in notifications}


def deferred_page(notification_id, per_page, after=None, before=None):
    """Deliveries waiting for a retry, with their subscriber, most recent id first.

    The conditions are the partial index's own, as literals (see :func:`failures_page`):
    a page reads its rows through ``ix_deliveries_deferred`` however many wait.
    """
    query = (select(Delivery).options(joinedload(Delivery.subscriber))
             .where(Delivery.notification_id == notification_id,
                    Delivery.state == literal_column("'queued'"),
                    Delivery.next_attempt_at.is_not(None)))
    return keyset_page(query, Delivery.id, per_page, after, before)


def notices_about(incident_id=None, maintenance_id=None):
    """The notices sent about one incident or maintenance window, newest first, with
    their counts and shown states: ``[(notification, counts, state)]``, three statements.

    As many as the event has updates, like its timeline (``ix_notifications_incident_id``
    and ``…_maintenance_id`` find them).
    """
    column, value = ((Notification.incident_id, incident_id) if incident_id is not None
                     else (Notification.maintenance_id, maintenance_id))
    notices = db.session.scalars(
        select(Notification).where(column == value).order_by(Notification.id.desc())).all()
    counts_by_id = state_counts([n.id for n in notices])
    states = display_states(notices)
    return [(n, counts_by_id[n.id], states[n.id]) for n in notices]


def first_sent_latency(notification):
    """Seconds from publishing to the first accepted mail, or None before it (the
    recorder sets ``first_sent_at`` with the first accepted message)."""
    if notification.first_sent_at is None:
        return None
    return max(0.0, (notification.first_sent_at - notification.created_at).total_seconds())
