"""What components, incidents and maintenance share: input checks, status severity,
and announcing a change to subscribers.

Admin forms and the JSON API call the same services, so every rule lives here once and
each failure names the field it is about.
"""
from sqlalchemy import select

from ..extensions import db
from ..fanout import publish_event
from ..models import INTEGER_MAX, Incident, IncidentComponent, Maintenance, maintenance_components
from .text_validation import text_problem

# Worst last: the status page shows the worst status of a group, and a component that two
# open incidents touch shows the worse of the two.
SEVERITY = ("operational", "under_maintenance", "degraded_performance", "partial_outage",
            "major_outage")
TITLE_MAX = 200
TEXT_MAX = 20_000
MAX_ID = INTEGER_MAX


class StatusError(ValueError):
    """Input a person must fix; ``field`` names the form field or JSON key at fault."""

    def __init__(self, field, message):
        super().__init__(message)
        self.field = field
        self.message = message


class StatusConflict(StatusError):
    """The row is not in a state that allows this (already resolved, changed meanwhile)."""


def worst_status(statuses):
    ranked = [SEVERITY.index(status) for status in statuses if status in SEVERITY]
    return SEVERITY[max(ranked)] if ranked else "operational"


def clean_title(value, field="title"):
    """A title becomes a mail subject: one line, not empty, not too long."""
    if value is not None and not isinstance(value, str):
        raise StatusError(field, "The title must be text.")
    title = (value or "").strip()
    if not title:
        raise StatusError(field, "Give it a title.")
    problem = text_problem(title)
    if problem:
        raise StatusError(field, problem)
    if len(title) > TITLE_MAX:
        raise StatusError(field, f"Keep the title under {TITLE_MAX} characters.")
    return title


def clean_text(value, field, required=True):
    if value is not None and not isinstance(value, str):
        raise StatusError(field, "This must be text.")
    text = (value or "").strip()
    problem = text_problem(text, multi_line=True)
    if problem:
        raise StatusError(field, problem)
    if required and not text:
        raise StatusError(field, "Write a message for the status page.")
    if len(text) > TEXT_MAX:
        raise StatusError(field, f"Keep this under {TEXT_MAX:,} characters.")
    return text


def clean_choice(value, choices, field, what):
    if not isinstance(value, str) or value not in choices:
        raise StatusError(field, f"Choose the {what}: " + ", ".join(choices) + ".")
    return value


def find(model, row_id):
    """The row, or ``None`` — also for ids no integer column can hold (PostgreSQL would
    raise on those rather than find nothing)."""
    if not isinstance(row_id, int) or isinstance(row_id, bool) or not 0 < row_id <= MAX_ID:
        return None
    return db.session.get(model, row_id)


def resting_status(component_id):
    """Where a component settles when an incident or window that held it ends.

    Another open incident keeps its (worst) status; a running maintenance window keeps it
    under maintenance; otherwise it is operational again. Call after the ending incident
    or window is flushed, so that it no longer counts.
    """
    incident_statuses = db.session.scalars(
        select(IncidentComponent.new_status)
        .join(Incident, Incident.id == IncidentComponent.incident_id)
        .where(IncidentComponent.component_id == component_id, Incident.status != "resolved",
               Incident.draft.is_(False))
    ).all()
    if incident_statuses:
        return worst_status(incident_statuses)
    in_maintenance = db.session.scalar(
        select(maintenance_components.c.maintenance_id)
        .join(Maintenance, Maintenance.id == maintenance_components.c.maintenance_id)
        .where(maintenance_components.c.component_id == component_id,
               Maintenance.status == "in_progress")
        .limit(1))
    return "under_maintenance" if in_maintenance else "operational"


def announce(kind, notify, **rows):
    """Tell subscribers about a change (``publish_event`` commits) or just commit it.

    The change and its notice are one transaction: either both happen or neither.
    """
    notification = publish_event(kind, **rows) if notify else None
    db.session.commit()
    return notification
