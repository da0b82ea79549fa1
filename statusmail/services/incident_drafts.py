"""Incidents that are not news yet, or no longer: drafts and backfilled history.

- A **draft** is written ahead (or by one person for another to check) and shown to
  nobody. Publishing it is the moment it happens for everyone: it is dated then, its
  components take their statuses then, and subscribers are told then.
- A **backfilled** incident is one that was never posted while it happened: entered
  afterwards with its own start and resolution, it goes straight into the history,
  moves no component and notifies nobody.
"""
from datetime import datetime

from sqlalchemy import update

from ..extensions import db
from ..models import Incident, IncidentComponent, IncidentUpdate, utcnow
from ..models.status import INCIDENT_IMPACTS
from . import audit
from .incidents import RESOLVED_MESSAGE, clean_affected
from .status import StatusConflict, StatusError, announce, clean_choice, clean_text, clean_title


def publish_draft(incident, *, notify=True, now=None):
    """Make a draft public now; returns the notification (or ``None``).

    A conditional UPDATE (``WHERE draft``): two people publishing at once publish it
    once and announce it once.
    """
    now = now or utcnow()
    result = db.session.execute(
        update(Incident).where(Incident.id == incident.id, Incident.draft.is_(True))
        .values(draft=False, created_at=now))
    if result.rowcount != 1:
        db.session.rollback()
        raise StatusConflict("status", "This incident is already published.")
    db.session.refresh(incident)
    first_update = incident.updates[-1]
    first_update.created_at = now
    for link in incident.affected:
        link.component.status = link.new_status
    db.session.flush()
    notification = announce("incident_created", notify, incident=incident,
                            incident_update=first_update)
    audit.record("incident_published", f"Draft incident published: {incident.title}",
                 incident_id=incident.id, **audit.notice(notification))
    return notification


def discard_draft(incident):
    """Delete a draft (nobody saw it); published incidents are history and stay."""
    if not incident.draft:
        raise StatusConflict("status", "Only a draft can be deleted; this incident is "
                             "published.")
    incident_id, title = incident.id, incident.title
    db.session.delete(incident)
    db.session.commit()
    audit.record("incident_draft_discarded", f"Draft incident discarded: {title}",
                 incident_id=incident_id, title=title)


def _clean_times(started_at, resolved_at, now):
    for field, value in (("started_at", started_at), ("resolved_at", resolved_at)):
        if not isinstance(value, datetime):
            raise StatusError(field, "Enter a date and time.")
        if value.tzinfo is not None:
            raise ValueError("incident times must be naive UTC")
    if resolved_at > now:
        raise StatusError("resolved_at", "The resolution is in the future: backfill only "
                          "incidents that are over (open a new incident for one going on).")
    if resolved_at <= started_at:
        raise StatusError("resolved_at", "The resolution must come after the start.")


def backfill_incident(*, title, impact, message, started_at, resolved_at, affected=(),
                      now=None):
    """Record a past incident (times naive UTC); returns it. Never announced.

    Its timeline holds one entry, the resolution, with ``message`` (a summary or
    post-mortem). The components it affected are listed with it but keep their status.
    """
    title = clean_title(title)
    impact = clean_choice(impact, INCIDENT_IMPACTS, "impact", "impact")
    message = clean_text(message, "message", required=False) or RESOLVED_MESSAGE
    _clean_times(started_at, resolved_at, now or utcnow())
    affected = clean_affected(affected)
    incident = Incident(title=title, impact=impact, status="resolved", created_at=started_at,
                        resolved_at=resolved_at, backfilled=True)
    incident.updates.append(IncidentUpdate(status="resolved", message=message,
                                           created_at=resolved_at))
    for component, new_status in affected:
        incident.affected.append(IncidentComponent(component=component, new_status=new_status))
    db.session.add(incident)
    db.session.commit()
    audit.record("incident_backfilled", f"Past incident recorded: {title}",
                 incident_id=incident.id, title=title, impact=impact,
                 component_ids=[component.id for component, _ in affected])
    return incident
