"""Incidents: open one, post updates to its timeline, resolve it.

Opening an incident moves the components it affects to the status chosen for each;
resolving it lets them settle back (see ``status.resting_status``).
"""
from sqlalchemy import update

from ..extensions import db
from ..models import Component, Incident, IncidentComponent, IncidentUpdate, utcnow
from ..models.status import INCIDENT_IMPACTS, INCIDENT_STATUSES
from . import audit
from .status import (
    SEVERITY, StatusConflict, StatusError, announce, clean_choice, clean_text, clean_title, find,
    resting_status,
)

OPEN_STATUSES = tuple(status for status in INCIDENT_STATUSES if status != "resolved")
# Statuses an incident can move a component to ("under maintenance" is for maintenance).
AFFECTED_STATUSES = tuple(status for status in SEVERITY if status != "under_maintenance")
RESOLVED_MESSAGE = "This incident has been resolved."


def open_incidents():
    """Published incidents not yet resolved (drafts are in :func:`draft_incidents`)."""
    return (Incident.query.filter(Incident.status != "resolved", Incident.draft.is_(False))
            .order_by(Incident.created_at.desc(), Incident.id.desc()).all())


def draft_incidents():
    return (Incident.query.filter(Incident.draft.is_(True))
            .order_by(Incident.created_at.desc(), Incident.id.desc()).all())


def refuse_drafts(incident):
    if incident.draft:
        raise StatusConflict("draft", "This incident is a draft: publish it first (it is "
                             "not on the status page and nobody has been told).")


def clean_affected(affected):
    """``[(component_id, status), …]`` → ``[(Component, status), …]``, checked."""
    cleaned, seen = [], set()
    for component_id, status in affected:
        component = find(Component, component_id)
        if component is None:
            raise StatusError("components", f"There is no component with id {component_id!r}.")
        if component.id in seen:
            raise StatusError("components", f"“{component.name}” is listed twice.")
        seen.add(component.id)
        clean_choice(status, AFFECTED_STATUSES, "components",
                     f"status for “{component.name}”")
        cleaned.append((component, status))
    return cleaned


def create_incident(*, title, impact, status, message, affected=(), notify=True, draft=False):
    """Open an incident with its first update; returns ``(incident, notification)``.

    A ``draft`` is saved as it is but shown to nobody: its components keep their status
    and no notice goes out until :func:`incident_drafts.publish_draft`.
    """
    title = clean_title(title)
    impact = clean_choice(impact, INCIDENT_IMPACTS, "impact", "impact")
    if status == "resolved":
        raise StatusError("status", "A new incident cannot start resolved: open it, "
                          "then resolve it.")
    status = clean_choice(status, OPEN_STATUSES, "status", "status")
    message = clean_text(message, "message")
    affected = clean_affected(affected)

    incident = Incident(title=title, impact=impact, status=status, draft=bool(draft))
    first_update = IncidentUpdate(incident=incident, status=status, message=message)
    for component, new_status in affected:
        incident.affected.append(IncidentComponent(component=component, new_status=new_status))
        if not draft:
            component.status = new_status
    db.session.add_all([incident, first_update])
    db.session.flush()
    notification = announce("incident_created", notify and not draft, incident=incident,
                            incident_update=first_update)
    audit.record("incident_drafted" if draft else "incident_created",
                 f"{'Draft incident saved' if draft else 'Incident opened'}: {title}",
                 incident_id=incident.id, title=title, impact=impact, status=status,
                 component_ids=[component.id for component, _ in affected],
                 **audit.notice(notification))
    return incident, notification


def edit_incident(incident, *, title, impact):
    """Correct the title or impact (a typo, a first guess). It is not news: no notice
    goes out, and mails already sent keep the words they had."""
    title = clean_title(title)
    impact = clean_choice(impact, INCIDENT_IMPACTS, "impact", "impact")
    before = audit.snapshot(incident, ("title", "impact"))
    incident.title, incident.impact = title, impact
    db.session.commit()
    audit.record("incident_edited", f"Incident edited: {title}", incident_id=incident.id,
                 changed=audit.changed(before, incident))
    return incident


def post_update(incident, *, status, message, notify=True):
    """Add an update to the timeline; status ``resolved`` resolves the incident.

    Returns ``(update, notification)``. The incident row changes only if it is still open,
    so two people resolving it at once produce one resolution and one notice.
    """
    refuse_drafts(incident)
    status = clean_choice(status, INCIDENT_STATUSES, "status", "status")
    resolving = status == "resolved"
    message = clean_text(message, "message", required=not resolving) or RESOLVED_MESSAGE
    now = utcnow()
    result = db.session.execute(
        update(Incident).where(Incident.id == incident.id, Incident.status != "resolved")
        .values(status=status, resolved_at=now if resolving else None))
    if result.rowcount != 1:
        db.session.rollback()
        raise StatusConflict("status", "This incident is already resolved; it takes no more "
                             "updates. Open a new incident if the problem is back.")
    entry = IncidentUpdate(incident_id=incident.id, status=status, message=message,
                           created_at=now)
    db.session.add(entry)
    db.session.flush()
    db.session.refresh(incident)
    if resolving:
        for link in incident.affected:
            link.component.status = resting_status(link.component_id)
        db.session.flush()
    kind = "incident_resolved" if resolving else "incident_updated"
    notification = announce(kind, notify, incident=incident, incident_update=entry)
    audit.record(kind, f"Incident {'resolved' if resolving else 'updated'}: {incident.title}",
                 incident_id=incident.id, update_id=entry.id, status=status,
                 **audit.notice(notification))
    return entry, notification


def resolve_incident(incident, *, message="", notify=True):
    return post_update(incident, status="resolved", message=message, notify=notify)
