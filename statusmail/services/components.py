"""Components: the parts of the service the status page lists, each with a status."""
from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import (
    Component, IncidentComponent, IncidentTemplateComponent, Notification, maintenance_components,
    subscriber_components, utcnow,
)
from ..models.status import COMPONENT_STATUSES, NAME_KEY_MAX, name_key
from . import audit
from .status import MAX_ID, StatusConflict, StatusError, announce, clean_choice, clean_text
from .text_validation import text_problem

NAME_MAX = 120
POSITION_MAX = MAX_ID


def ordered_components():
    return Component.query.order_by(Component.position, Component.name).all()


def _clean_name(value, field, what):
    if value is not None and not isinstance(value, str):
        raise StatusError(field, f"The {what} must be text.")
    value = (value or "").strip()
    problem = text_problem(value)
    if problem:
        raise StatusError(field, problem)
    if len(value) > NAME_MAX or len(name_key(value)) > NAME_KEY_MAX:
        raise StatusError(field, f"Keep the {what} under {NAME_MAX} characters.")
    return value


def _name_taken(name, component_id):
    """Compared in normalised form, so "Zürich" and "ZÜRICH" are one name on every database."""
    clash = Component.query.filter(Component.name_key == name_key(name))
    if component_id is not None:
        clash = clash.filter(Component.id != component_id)
    return db.session.query(clash.exists()).scalar()


def _clean_fields(name, group_name, description, position, component_id=None):
    name = _clean_name(name, "name", "name")
    if not name:
        raise StatusError("name", "Give the component a name.")
    if _name_taken(name, component_id):
        raise StatusError("name", f"A component named “{name}” already exists.")
    group_name = _clean_name(group_name, "group_name", "group name") or None
    if not isinstance(position, int) or isinstance(position, bool):
        raise StatusError("position", "The display order must be a whole number.")
    if not -POSITION_MAX <= position <= POSITION_MAX:
        raise StatusError("position", f"Keep the display order between {-POSITION_MAX:,} "
                          f"and {POSITION_MAX:,}.")
    return {"name": name, "group_name": group_name, "position": position,
            "description": clean_text(description, "description", required=False) or None}


def create_component(*, name, group_name=None, description=None, status="operational",
                     position=0):
    """A new component; adding one announces nothing (nobody has heard of it yet)."""
    fields = _clean_fields(name, group_name, description, position)
    status = clean_choice(status, COMPONENT_STATUSES, "status", "status")
    component = Component(status=status, **fields)
    db.session.add(component)
    _commit_name(fields["name"])
    audit.record("component_created", f"Component added: {component.name}",
                 component_id=component.id, name=component.name, status=status)
    return component


def edit_component(component, *, name, group_name=None, description=None, position=0):
    fields = _clean_fields(name, group_name, description, position, component.id)
    before = audit.snapshot(component, fields)
    for attribute, value in fields.items():
        setattr(component, attribute, value)
    _commit_name(component.name)
    audit.record("component_edited", f"Component edited: {component.name}",
                 component_id=component.id, changed=audit.changed(before, component))
    return component


def _commit_name(name):
    """Commit; a name someone else took a moment ago is the same message as any clash."""
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise StatusError("name", f"A component named “{name}” already exists.") from None


def change_component_status(component, status, notify=True):
    """Set a status by hand; subscribers hear of it when ``notify`` (and it changed).

    The UPDATE only applies if the status is still the one this change started from, so
    two people changing it at once cannot both announce a change from the same state.
    """
    status = clean_choice(status, COMPONENT_STATUSES, "status", "status")
    previous = component.status
    if status == previous:
        return None
    result = db.session.execute(
        update(Component).where(Component.id == component.id, Component.status == previous)
        .values(status=status, updated_at=utcnow()))
    if result.rowcount != 1:
        db.session.rollback()
        raise StatusConflict("status", "Someone changed this component's status a moment ago. "
                             "Reload the page to see it, then try again.")
    db.session.refresh(component)
    notification = announce("component_status_changed", notify, component=component,
                            previous_status=previous)
    audit.record("component_status_changed",
                 f"{component.name}: {previous} → {status}", component_id=component.id,
                 previous_status=previous, status=status, **audit.notice(notification))
    return notification


def delete_component(component):
    """Remove a component everywhere it is referenced (whatever the database enforces)."""
    component_id, name = component.id, component.name
    db.session.execute(delete(IncidentComponent).where(
        IncidentComponent.component_id == component_id))
    db.session.execute(delete(IncidentTemplateComponent).where(
        IncidentTemplateComponent.component_id == component_id))
    db.session.execute(delete(maintenance_components).where(
        maintenance_components.c.component_id == component_id))
    db.session.execute(delete(subscriber_components).where(
        subscriber_components.c.component_id == component_id))
    db.session.execute(update(Notification).where(Notification.component_id == component_id)
                       .values(component_id=None))
    db.session.delete(component)
    db.session.commit()
    audit.record("component_deleted", f"Component deleted: {name}", component_id=component_id,
                 name=name)
