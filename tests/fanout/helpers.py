"""Building the world a notice goes out into: subscribers, components, events."""
from datetime import timedelta

from sqlalchemy import func, insert, select

from statusmail.extensions import db
from statusmail.fanout import publish_event
from statusmail.fanout.expand import expand_chunk
from statusmail.queues import get_queue
from statusmail.models import (
    Component, Delivery, Incident, IncidentComponent, IncidentUpdate, Maintenance, Notification,
    SiteSettings, Subscriber, subscriber_components, utcnow,
)


def enable_notifications(app, **settings_fields):
    with app.app_context():
        settings = SiteSettings.get()
        settings.notifications_enabled = True
        settings.status_page_name = settings_fields.pop("status_page_name", "Acme Status")
        for name, value in settings_fields.items():
            setattr(settings, name, value)
        db.session.commit()


def add_subscribers(app, count, prefix="user", status="confirmed", components=(), **prefs):
    """``count`` subscribers in one INSERT; returns their addresses."""
    emails = [f"{prefix}{i}@example.org" for i in range(count)]
    with app.app_context():
        db.session.execute(insert(Subscriber), [
            {"email": email, "status": status, **prefs} for email in emails])
        if components:
            ids = db.session.scalars(select(Subscriber.id).where(Subscriber.email.in_(emails)))
            db.session.execute(insert(subscriber_components), [
                {"subscriber_id": sid, "component_id": cid}
                for sid in ids for cid in components])
        db.session.commit()
    return emails


def add_component(app, name, status="operational"):
    with app.app_context():
        component = Component(name=name, status=status)
        db.session.add(component)
        db.session.commit()
        return component.id


def expand_audience(app, notification_id, chunk=10_000):
    """Expand a published notice's audience here and now, as its job would, and take
    that job (now with nothing to do) off the queue: the deliveries exist and only
    their batches are queued."""
    if notification_id is None:
        return None
    with app.app_context():
        while expand_chunk(notification_id, chunk) is not None:
            pass
        queue = get_queue("fanout")
        for job in queue.get_jobs():
            if job.func_name.endswith(".expand_audience") and job.args == (notification_id,):
                queue.remove(job)
    return notification_id


def publish_incident(app, title="Database outage", component_ids=(), message="We are looking.",
                     kind="incident_created", expand=True):
    """Open an incident (as the incident service does) and publish it; the notification id."""
    with app.app_context():
        incident = Incident(title=title, impact="major", status="investigating")
        for component_id in component_ids:
            incident.affected.append(IncidentComponent(component_id=component_id,
                                                       new_status="major_outage"))
            db.session.get(Component, component_id).status = "major_outage"
        entry = IncidentUpdate(incident=incident, status="investigating", message=message)
        db.session.add_all([incident, entry])
        db.session.flush()
        notification = publish_event(kind, incident=incident, incident_update=entry)
        db.session.commit()
        notification_id = notification.id if notification else None
    return expand_audience(app, notification_id) if expand else notification_id


def publish_maintenance(app, kind="maintenance_scheduled", component_ids=(), expand=True):
    with app.app_context():
        start = utcnow().replace(microsecond=0) + timedelta(days=2)
        maintenance = Maintenance(title="Router upgrade", description="New firmware.",
                                  starts_at=start, ends_at=start + timedelta(hours=2),
                                  components=[db.session.get(Component, cid)
                                              for cid in component_ids])
        db.session.add(maintenance)
        db.session.flush()
        notification = publish_event(kind, maintenance=maintenance)
        db.session.commit()
        notification_id = notification.id if notification else None
    return expand_audience(app, notification_id) if expand else notification_id


def publish_component_change(app, component_id, status="partial_outage", expand=True):
    with app.app_context():
        component = db.session.get(Component, component_id)
        previous, component.status = component.status, status
        db.session.flush()
        notification = publish_event("component_status_changed", component=component,
                                     previous_status=previous)
        db.session.commit()
        notification_id = notification.id if notification else None
    return expand_audience(app, notification_id) if expand else notification_id


def delivery_states(app, notification_id):
    with app.app_context():
        return dict(db.session.execute(
            select(Delivery.state, func.count()).where(Delivery.notification_id == notification_id)
            .group_by(Delivery.state)).all())


def notification_state(app, notification_id):
    with app.app_context():
        return db.session.get(Notification, notification_id).state


def recipients(server):
    """Every RCPT TO the server accepted a message for, one entry per message."""
    return sorted(message.to for message in server.messages)
