"""Steering a notification in flight: pause, resume, cancel, retry, progress, completion.

Each change is a conditional UPDATE on the notification's state, so a button pressed
twice, or at the same moment as a worker finishing, acts once. Workers re-read the
state between messages: a pause lets the message in flight finish and hands the rest
back to the queue; nothing is skipped and nothing is sent twice.
"""
from sqlalchemy import exists, update

from ..extensions import db
from ..models import Delivery, Notification, utcnow
from ..services import audit
from .counts import state_counts
from .deferred import display_state, next_retries
from .queue import clear_jobs_marker, enqueue_batches, pending_delivery_ids

UNFINISHED = ("queued", "sending")
FINISHED = ("sent", "failed", "skipped", "cancelled")


def _transition(notification_id, expected, **values):
    result = db.session.execute(
        update(Notification).where(Notification.id == notification_id,
                                   Notification.state.in_(expected)).values(**values),
        execution_options={"synchronize_session": False})
    db.session.commit()
    return result.rowcount == 1


def pause_notification(notification_id, by="operator"):
    """Stop claiming deliveries. ``by="provider"`` resumes by itself once the email
    settings work again (see the sweeper). False if it was not sending."""
    if not _transition(notification_id, ("sending",), state="paused", paused_by=by):
        return False
    audit.record("notification_paused", f"Notice #{notification_id} paused"
                 + (" (the provider refused it)" if by == "provider" else ""),
                 notification_id=notification_id, by=by)
    return True


def resume_notification(notification_id):
    """Carry on where it stopped: queue every delivery still waiting. False if not paused."""
    if not _transition(notification_id, ("paused",), state="sending", paused_by=None):
        return False
    requeue_waiting(notification_id)
    audit.record("notification_resumed", f"Notice #{notification_id} resumed",
                 notification_id=notification_id)
    return True


def requeue_waiting(notification_id):
    """Queue jobs for the deliveries waiting in the database (due retries included)."""
    now = utcnow()
    db.session.execute(
        update(Delivery).where(Delivery.notification_id == notification_id,
                               Delivery.state == "queued", Delivery.next_attempt_at <= now)
        .values(next_attempt_at=None), execution_options={"synchronize_session": False})
    db.session.commit()
    return enqueue_batches(notification_id, pending_delivery_ids(notification_id))


def cancel_notification(notification_id):
    """Send nothing more: waiting deliveries become ``cancelled``; a message already
    being handed to the server finishes. False if it had already finished."""
    if not _transition(notification_id, ("sending", "paused"), state="cancelled",
                       paused_by=None, finished_at=utcnow()):
        return False
    db.session.execute(
        update(Delivery).where(Delivery.notification_id == notification_id,
                               Delivery.state == "queued")
        .values(state="cancelled", next_attempt_at=None),
        execution_options={"synchronize_session": False})
    db.session.commit()
    clear_jobs_marker(notification_id)
    audit.record("notification_cancelled", f"Notice #{notification_id} cancelled",
                 notification_id=notification_id)
    return True


def retry_failed(notification_id):
    """Give failed deliveries a fresh set of attempts; returns how many were requeued.

    Subscribers suppressed or unsubscribed since are skipped when their turn comes.
    """
    notification = db.session.get(Notification, notification_id)
    if notification is None or notification.state == "cancelled":
        return 0
    result = db.session.execute(
        update(Delivery).where(Delivery.notification_id == notification_id,
                               Delivery.state == "failed")
        .values(state="queued", attempts=0, next_attempt_at=None, lease_expires_at=None),
        execution_options={"synchronize_session": False})
    count = result.rowcount
    if count and notification.state == "completed":
        notification.state, notification.finished_at = "sending", None
    db.session.commit()
    if count and notification.state == "sending":
        enqueue_batches(notification_id, pending_delivery_ids(notification_id))
    if count:
        audit.record("notification_retried",
                     f"Notice #{notification_id}: {count} failed deliveries queued again",
                     notification_id=notification_id, count=count)
    return count


def complete_if_finished(notification_id):
    """Mark a sending notification completed once its audience is expanded and no
    delivery is queued or in flight."""
    unfinished = exists().where(Delivery.notification_id == notification_id,
                                Delivery.state.in_(UNFINISHED))
    result = db.session.execute(
        update(Notification).where(Notification.id == notification_id,
                                   Notification.state == "sending",
                                   Notification.expanding.is_(False), ~unfinished)
        .values(state="completed", finished_at=utcnow()),
        execution_options={"synchronize_session": False})
    db.session.commit()
    if result.rowcount:
        clear_jobs_marker(notification_id)
    return bool(result.rowcount)


def notification_progress(notification_id):
    """Counts by delivery state (maintained counts), percent done, send rate, duration.

    While the audience is still being expanded the state reads "expanding", ``total``
    is what has been expanded so far and ``expanded_percent`` how far through the
    subscriber ids the expansion is. When only deferred deliveries remain it reads
    "waiting_for_retries" and ``next_attempt_at`` says when the first is due (UTC).
    """
    notification = db.session.get(Notification, notification_id)
    if notification is None:
        return None
    counts = state_counts([notification_id])[notification_id]
    next_retry = next_retries([notification_id]).get(notification_id)
    total = notification.total
    finished = sum(counts[state] for state in FINISHED)
    end = notification.finished_at or utcnow()
    sending_for = ((end - notification.first_sent_at).total_seconds()
                   if notification.first_sent_at else 0.0)
    expanding = notification.expanding and notification.state in ("sending", "paused")
    return {
        "state": notification.state,
        "display_state": display_state(notification, next_retry),
        "next_attempt_at": next_retry,
        "expanding": expanding,
        "expanded_percent": _expanded_percent(notification),
        "total": total,
        "counts": counts,
        "percent": _percent(finished, total, notification),
        "rate_per_sec": round(counts["sent"] / sending_for, 1) if sending_for > 0 else 0.0,
        "duration_sec": round((end - notification.created_at).total_seconds(), 1),
        "done": (notification.state in ("completed", "cancelled") and counts["sending"] == 0
                 and not expanding),
    }


def _percent(finished, total, notification):
    """Share of the audience finished; while expanding, scaled by the share expanded."""
    done = 100.0 * finished / total if total else 100.0
    if notification.expanding:
        done = done * _expanded_percent(notification) / 100.0 if total else 0.0
    return round(done, 1)


def _expanded_percent(notification):
    if not notification.expanding or not notification.audience_max_subscriber_id:
        return 100.0
    return round(100.0 * notification.expanded_through
                 / notification.audience_max_subscriber_id, 1)
