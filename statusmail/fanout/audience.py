"""Who hears about an event: confirmed subscribers who want its family and its components.

The rule (the one Cachet, openstatus and Atlassian Statuspage follow):

- an event about components (an incident affecting them, a maintenance window on them,
  a component's status change) goes to whole-page subscribers ("all components") and to
  those who follow at least one of those components;
- an event about no component (an incident or a window on "the whole service") goes to
  whole-page subscribers only: someone who chose "Database" asked to hear about the
  database, not about everything.

Expressed as one WHERE clause so that publishing copies the audience into delivery rows
with INSERT … SELECT, inside the database, whatever the number of subscribers, and so that
the admin's "who will get this" preview counts with the very same clause (:func:`measure`).
"""
from dataclasses import dataclass

from sqlalchemy import and_, case, exists, func, or_, select

from ..extensions import db
from ..models import INTEGER_MAX, Component, Subscriber, subscriber_components

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


def _family_wanted(kind):
    return [Subscriber.status == "confirmed", FAMILY_FLAGS[event_family(kind)].is_(True)]


def audience_condition(kind, component_ids):
    """A WHERE clause on ``Subscriber`` selecting who receives a notice of ``kind``."""
    wanted = _family_wanted(kind)
    if component_ids:
        follows_one = exists().where(
            subscriber_components.c.subscriber_id == Subscriber.id,
            subscriber_components.c.component_id.in_(component_ids))
        wanted.append(or_(Subscriber.all_components.is_(True), follows_one))
    else:
        wanted.append(Subscriber.all_components.is_(True))
    return wanted


def audience_ids(kind, component_ids):
    """``SELECT subscribers.id`` for the audience (for INSERT … SELECT and for tests)."""
    return select(Subscriber.id).where(*audience_condition(kind, component_ids))


@dataclass(frozen=True)
class AudienceSize:
    """How many a notice would reach now, and why: whole-page subscribers, then those
    following each component (one person following two components counts in both lines
    but once in ``total``)."""
    total: int
    whole_page: int
    by_component: tuple  # ((component id, name, count), …) in display order

    def summary(self):
        """"This notifies 1,234 subscribers (all components: 1,100; Database: 134)"."""
        return "This notifies " + self.counted()

    def counted(self):
        """"1,234 subscribers (all components: 1,100; Database: 134)"."""
        noun = "subscriber" if self.total == 1 else "subscribers"
        parts = [f"all components: {self.whole_page:,}"]
        parts += [f"{name}: {count:,}" for _, name, count in self.by_component]
        return f"{self.total:,} {noun} ({'; '.join(parts)})"

    def as_json(self):
        return {"total": self.total, "whole_page": self.whole_page,
                "components": [{"id": cid, "name": name, "count": count}
                               for cid, name, count in self.by_component],
                "summary": self.summary()}


def measure(kind, component_ids):
    """The audience a notice of ``kind`` about ``component_ids`` would have if published
    now: two aggregate queries whatever the number of subscribers or components.

    ``total`` counts :func:`audience_condition` itself, the clause the expansion inserts
    deliveries with, so the preview and the mail sent cannot disagree.
    """
    # An id no integer column can hold is no component's (the databases raise on it).
    component_ids = sorted({cid for cid in component_ids
                            if isinstance(cid, int) and not isinstance(cid, bool)
                            and 0 < cid <= INTEGER_MAX})
    total, whole_page = db.session.execute(
        select(func.count(), func.coalesce(func.sum(case(
            (Subscriber.all_components.is_(True), 1), else_=0)), 0))
        .where(*audience_condition(kind, component_ids))).one()
    by_component = ()
    if component_ids:
        rows = db.session.execute(
            select(Component.id, Component.name, func.count(Subscriber.id))
            .select_from(Component)
            .outerjoin(subscriber_components,
                       subscriber_components.c.component_id == Component.id)
            .outerjoin(Subscriber, and_(Subscriber.id == subscriber_components.c.subscriber_id,
                                        Subscriber.all_components.is_(False),
                                        *_family_wanted(kind)))
            .where(Component.id.in_(component_ids))
            .group_by(Component.id, Component.name, Component.position)
            .order_by(Component.position, Component.name)).all()
        by_component = tuple((row[0], row[1], row[2]) for row in rows)
    return AudienceSize(total=total, whole_page=int(whole_page), by_component=by_component)
