"""What the public status page shows, read from the database on every request."""
from collections import namedtuple
from datetime import datetime, time, timedelta

from ..extensions import db
from ..models import Incident, Maintenance, utcnow
from ..models.status import COMPONENT_STATUSES
from .components import ordered_components
from .incidents import open_incidents
from .status import worst_status
from .timezones import operator_zone, to_local, to_utc
from ..wording import N_

HISTORY_DAYS = 14
HISTORY_PAGES = 2000  # about 75 years back: further is a typo, not history
PAST_MAINTENANCE = ("completed", "cancelled")
OVERALL_LABELS = {
    "operational": N_("All systems operational"),
    "under_maintenance": N_("Maintenance in progress"),
    "degraded_performance": N_("Degraded performance"),
    "partial_outage": N_("Partial outage"),
    "major_outage": N_("Major outage"),
}

ComponentGroup = namedtuple("ComponentGroup", "name components status status_label")
Overall = namedtuple("Overall", "status label")
HistoryDay = namedtuple("HistoryDay", "date events")
# One line of a history day: an incident (by when it opened) or a past maintenance window
# (by when it was to start); ``kind`` is "incident" or "maintenance".
HistoryEvent = namedtuple("HistoryEvent", "at kind item")


def component_groups(components):
    """Groups in the order their first component appears; ungrouped ones stand alone."""
    grouped = {}
    for component in components:
        key = component.group_name or ("", component.id)
        grouped.setdefault(key, []).append(component)
    groups = []
    for key, members in grouped.items():
        status = worst_status(component.status for component in members)
        groups.append(ComponentGroup(key if isinstance(key, str) else None, members, status,
                                     COMPONENT_STATUSES[status]))
    return groups


def overall_status(components, incidents):
    """The banner: the worst component status; an open incident is never "all good"."""
    status = worst_status(component.status for component in components)
    if status == "operational" and incidents:
        return Overall("degraded_performance", N_("We are looking into an issue"))
    return Overall(status, OVERALL_LABELS[status])


def status_overview():
    components = ordered_components()
    incidents = open_incidents()
    maintenances = (Maintenance.query.filter(Maintenance.status.in_(("scheduled", "in_progress")))
                    .order_by(Maintenance.starts_at).all())
    return {
        "overall": overall_status(components, incidents),
        "groups": component_groups(components),
        "incidents": incidents,
        "in_progress": [m for m in maintenances if m.status == "in_progress"],
        "upcoming": [m for m in maintenances if m.status == "scheduled"],
    }


def history(page=1, now=None):
    """Fourteen days per page, newest first, days cut at the operator's midnight; within
    a day too, incidents and maintenance windows together, newest first (as status
    pages read: the latest news at the top, and on down through time).

    Returns ``(days, has_older)``; every day is listed, quiet ones too.
    """
    zone = operator_zone()
    today = to_local(now or utcnow(), zone).date()
    newest = today - timedelta(days=HISTORY_DAYS * (page - 1))
    oldest = newest - timedelta(days=HISTORY_DAYS - 1)
    start = to_utc(datetime.combine(oldest, time()), zone)
    end = to_utc(datetime.combine(newest + timedelta(days=1), time()), zone)

    published = Incident.query.filter(Incident.draft.is_(False))
    incidents = (published.filter(Incident.created_at >= start, Incident.created_at < end)
                 .order_by(Incident.created_at.desc()).all())
    maintenances = (Maintenance.query
                    .filter(Maintenance.status.in_(PAST_MAINTENANCE),
                            Maintenance.starts_at >= start, Maintenance.starts_at < end)
                    .order_by(Maintenance.starts_at.desc()).all())
    days = [HistoryDay(newest - timedelta(days=offset), []) for offset in range(HISTORY_DAYS)]
    by_date = {day.date: day for day in days}

    def day_of(value):
        # Clamped: a zone that skips midnight must not push a row off the page.
        return by_date[min(max(to_local(value, zone).date(), oldest), newest)]

    for incident in incidents:
        day_of(incident.created_at).events.append(
            HistoryEvent(incident.created_at, "incident", incident))
    for maintenance in maintenances:
        day_of(maintenance.starts_at).events.append(
            HistoryEvent(maintenance.starts_at, "maintenance", maintenance))
    for day in days:
        day.events.sort(key=lambda event: (event.at, event.kind, event.item.id), reverse=True)

    has_older = db.session.query(
        published.filter(Incident.created_at < start).exists()).scalar() or \
        db.session.query(Maintenance.query.filter(
            Maintenance.status.in_(PAST_MAINTENANCE), Maintenance.starts_at < start
        ).exists()).scalar()
    return days, has_older
