"""Forget old mail: notifications with their deliveries, one-off mail and captured mail
older than ``SiteSettings.delivery_retention_days``, and audit log entries older than
``SiteSettings.audit_retention_days`` (0 keeps them for ever).

Deletes go in small batches, each committed, so a large backlog never holds a long lock
or a huge transaction. Work still in flight (a notice sending or paused, a one-off mail
queued or being sent) is never deleted, however old.
"""
import logging
from datetime import timedelta

from sqlalchemy import delete, select

from ..extensions import db
from ..models import (
    CapturedMail, Delivery, Notification, OutboundMail, AuditEvent, SiteSettings, utcnow,
)
from ..queues import redis_connection

log = logging.getLogger(__name__)
HOURLY_KEY = "statusmail:retention-ran"
NOTIFICATION_BATCH = 50
ROW_BATCH = 2000
FINISHED_NOTIFICATION_STATES = ("completed", "cancelled")
FINISHED_OUTBOUND_STATES = ("sent", "failed", "cancelled")
# One scheduler tick deletes at most this many rows per table; the rest waits for the
# next tick, so other scheduler tasks are not held up by a large backlog.
MAX_ROWS_PER_RUN = 100_000


def prune_expired_rows_hourly():
    """Scheduler task: prune at most once an hour, however many schedulers tick."""
    connection = redis_connection()
    if not connection.set(HOURLY_KEY, utcnow().isoformat(), nx=True, ex=3600):
        return None
    deleted = prune_expired_rows()
    if any(count >= MAX_ROWS_PER_RUN for count in deleted.values()):
        connection.delete(HOURLY_KEY)  # a backlog remains: continue on the next tick
    return deleted


def prune_expired_rows(now=None):
    """Delete what is older than the retention setting; returns counts per table."""
    settings = SiteSettings.get()
    days, audit_days = settings.delivery_retention_days, settings.audit_retention_days
    db.session.commit()
    now = now or utcnow()
    deleted = {}
    if audit_days and audit_days > 0:
        deleted["audit_events"] = _delete_in_batches(
            AuditEvent, AuditEvent.created_at < now - timedelta(days=audit_days))
    if not days or days <= 0:
        return deleted
    cutoff = now - timedelta(days=days)
    deleted |= {
        "notifications": 0,
        "deliveries": 0,
        "outbound_mail": _delete_in_batches(
            OutboundMail, (OutboundMail.created_at < cutoff)
            & OutboundMail.state.in_(FINISHED_OUTBOUND_STATES)),
        "captured_mail": _delete_in_batches(CapturedMail, CapturedMail.created_at < cutoff),
    }
    while deleted["notifications"] < MAX_ROWS_PER_RUN:
        ids = db.session.scalars(
            select(Notification.id)
            .where(Notification.created_at < cutoff,
                   Notification.state.in_(FINISHED_NOTIFICATION_STATES))
            .order_by(Notification.id).limit(NOTIFICATION_BATCH)).all()
        if not ids:
            break
        # Deliveries first, explicitly: SQLite does not enforce ON DELETE CASCADE by default.
        deleted["deliveries"] += _delete_in_batches(
            Delivery, Delivery.notification_id.in_(ids), limit=None)
        db.session.execute(delete(Notification).where(Notification.id.in_(ids)))
        db.session.commit()
        deleted["notifications"] += len(ids)
    if any(deleted.values()):
        log.info("Retention (%s days, audit log %s days) deleted %s", days, audit_days, deleted)
    return deleted


def _delete_in_batches(model, condition, limit=MAX_ROWS_PER_RUN):
    """Delete matching rows ROW_BATCH at a time (by id: portable, index-friendly)."""
    total = 0
    while limit is None or total < limit:
        ids = db.session.scalars(
            select(model.id).where(condition).order_by(model.id).limit(ROW_BATCH)).all()
        if not ids:
            break
        db.session.execute(delete(model).where(model.id.in_(ids)))
        db.session.commit()
        total += len(ids)
    return total
