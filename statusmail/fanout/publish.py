"""Publishing an event: one notification, one delivery row per subscriber, batch jobs.

The rows are the truth and are committed before any job exists; jobs carry only ids.
"""
from sqlalchemy import insert, literal, select

from ..extensions import db
from ..models import Delivery, Notification, SiteSettings, Subscriber, utcnow
from ..models.notifications import EVENT_KINDS
from .audience import audience_condition, event_component_ids
from .notices import snapshot
from .queue import enqueue_batches, pending_delivery_ids


def publish_event(kind, *, incident=None, incident_update=None, maintenance=None,
                  component=None, previous_status=None):
    """Announce an event to its subscribers; ``None`` while notifications are disabled.

    Call it after the triggering rows are flushed, in their transaction: it COMMITS that
    transaction with the notice, so the change and its announcement happen together.
    Turning notifications off later does not stop a notice already published.
    """
    if kind not in EVENT_KINDS:
        raise ValueError(f"unknown event kind {kind!r}")
    if not SiteSettings.get().notifications_enabled:
        return None
    db.session.flush()
    subject, context = snapshot(kind, incident=incident, incident_update=incident_update,
                                maintenance=maintenance, component=component,
                                previous_status=previous_status)
    notification = Notification(
        kind=kind, subject=subject, context=context, state="sending",
        incident_id=incident.id if incident is not None else None,
        maintenance_id=maintenance.id if maintenance is not None else None,
        component_id=component.id if component is not None else None)
    db.session.add(notification)
    db.session.flush()

    component_ids = event_component_ids(incident=incident, maintenance=maintenance,
                                        component=component)
    now = utcnow()
    audience = select(literal(notification.id), Subscriber.id, literal("queued"), literal(0),
                      literal(now, db.DateTime)).where(*audience_condition(kind, component_ids))
    result = db.session.execute(insert(Delivery).from_select(
        ["notification_id", "subscriber_id", "state", "attempts", "updated_at"], audience))
    notification.total = result.rowcount
    if notification.total == 0:
        notification.state, notification.finished_at = "completed", now
    db.session.commit()

    if notification.total:
        enqueue_batches(notification.id, pending_delivery_ids(notification.id))
    return notification
