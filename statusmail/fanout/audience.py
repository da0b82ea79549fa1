"""Who hears about an event: confirmed subscribers who want its family and its components.

Expressed as one SELECT so that publishing copies the audience into delivery rows with
INSERT … SELECT, inside the database, whatever the number of subscribers.
"""
from sqlalchemy import exists, or_, select

from ..models import Subscriber, subscriber_components

FAMILY_FLAGS = {
    "incident": Subscriber.notify_incidents,
    "maintenance": Subscriber.notify_maintenance,
    "component": Subscriber.notify_component_changes,
}


def event_family(kind):
    """``incident_created`` → ``incident``; every kind in ``EVENT_KINDS`` has one."""
    family = kind.partition("_")[0]
    if family not in FAMILY_FLAGS:
        raise ValueError(f"unknown event kind {kind!r}")
    return family


def event_component_ids(*, incident=None, maintenance=None, component=None):
    """The components an event is about; empty means "the whole service"."""
    ids = set()
    if incident is not None:
        ids.update(link.component_id for link in incident.affected)
    if maintenance is not None:
        ids.update(c.id for c in maintenance.components)
    if component is not None:
        ids.add(component.id)
    return sorted(ids)


def audience_condition(kind, component_ids):
    """A WHERE clause on ``Subscriber`` selecting who receives a notice of ``kind``."""
    wanted = [Subscriber.status == "confirmed", FAMILY_FLAGS[event_family(kind)].is_(True)]
    if component_ids:
        follows_one = exists().where(
            subscriber_components.c.subscriber_id == Subscriber.id,
            subscriber_components.c.component_id.in_(component_ids))
        wanted.append(or_(Subscriber.all_components.is_(True), follows_one))
    return wanted


def audience_ids(kind, component_ids):
    """``SELECT subscribers.id`` for the audience (for INSERT … SELECT and for tests)."""
    return select(Subscriber.id).where(*audience_condition(kind, component_ids))
