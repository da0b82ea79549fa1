"""Publishing an event: record the notice with the change; a job expands its audience.

The request writes one notification row, in the transaction of the change it announces,
and queues one job: its cost does not depend on the number of subscribers. The job
(:mod:`.expand`) copies the audience into delivery rows and queues their batches; jobs
carry only ids, and the sweeper restarts an expansion whose job was lost.
"""
from sqlalchemy import func, select

from ..extensions import db
from ..models import Notification, SiteSettings, Subscriber, utcnow
from ..models.notifications import EVENT_KINDS
from .audience import event_component_ids
from .expand import enqueue_expansion, expansion_lease
from .notices import snapshot


def publish_event(kind, *, incident=None, incident_update=None, maintenance=None,
                  maintenance_update=None, previous_window=None, component=None,
                  previous_status=None):
    """Announce an event to its subscribers; ``None`` while notifications are disabled.

    Call it after the triggering rows are flushed, in their transaction: it COMMITS that
    transaction with the notice, so the change and its announcement happen together.
    The audience is the subscribers who exist now (ids up to the highest one now); who
    of them still wants the notice is decided as each chunk is expanded. Turning
    notifications off later does not stop a notice already published.
    """
    if kind not in EVENT_KINDS:
        raise ValueError(f"unknown event kind {kind!r}")
    if not SiteSettings.get().notifications_enabled:
        return None
    db.session.flush()
    subject, context = snapshot(kind, incident=incident, incident_update=incident_update,
                                maintenance=maintenance,
                                maintenance_update=maintenance_update,
                                previous_window=previous_window, component=component,
                                previous_status=previous_status)
    last_subscriber = db.session.scalar(select(func.max(Subscriber.id)))
    notification = Notification(
        kind=kind, subject=subject, context=context, state="sending", total=0,
        incident_id=incident.id if incident is not None else None,
        maintenance_id=maintenance.id if maintenance is not None else None,
        component_id=component.id if component is not None else None,
        audience_component_ids=event_component_ids(incident=incident, maintenance=maintenance,
                                                   component=component),
        audience_max_subscriber_id=last_subscriber or 0, expanded_through=0,
        expansion_lease_expires_at=expansion_lease(), expanding=True)
    if not last_subscriber:
        notification.state, notification.finished_at = "completed", utcnow()
        notification.expanding, notification.expansion_lease_expires_at = False, None
    db.session.add(notification)
    db.session.commit()
    if notification.state == "sending":
        enqueue_expansion(notification.id)
    return notification
