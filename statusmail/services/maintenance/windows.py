"""A window's life: scheduled, maybe moved, started, completed (or cancelled).

Every change of state is a conditional UPDATE (``WHERE status = <the state we expect>``):
when two schedulers, or a scheduler and a person pressing "start now", race, exactly one
of them moves the window and announces it. Each notice is recorded in the transaction of
the change it announces (``announce`` commits both).
"""
from datetime import datetime

from sqlalchemy import update

from ...extensions import db
from ...models import Component, Maintenance, utcnow
from ..status import (
    StatusConflict, StatusError, announce, clean_text, clean_title, find, resting_status,
)
from .. import audit
from .stages import arm_reminder, clean_stages

ACTIVE_STATES = ("scheduled", "in_progress")


def _clean_window(starts_at, ends_at):
    for field, value in (("starts_at", starts_at), ("ends_at", ends_at)):
        if not isinstance(value, datetime):
            raise StatusError(field, "Enter a date and time.")
        if value.tzinfo is not None:
            raise ValueError("maintenance times must be naive UTC")
    if ends_at <= starts_at:
        raise StatusError("ends_at", "The end must be after the start.")


def _clean_components(component_ids):
    ids = list(dict.fromkeys(component_ids or ()))
    if any(not isinstance(cid, int) or isinstance(cid, bool) for cid in ids):
        raise StatusError("component_ids", "Component ids must be whole numbers.")
    components = [component for component in (find(Component, cid) for cid in ids)
                  if component is not None]
    missing = sorted(set(ids) - {component.id for component in components})
    if missing:
        raise StatusError("component_ids", "There is no component with id "
                          + ", ".join(str(cid) for cid in missing) + ".")
    return components


def schedule_maintenance(*, title, description, starts_at, ends_at, component_ids=(),
                         notify=True, now=None, **stages):
    """Plan a window (times are naive UTC); returns ``(maintenance, notification)``.

    ``notify`` off silences every stage; ``stages`` (``notify_scheduled``, …,
    ``reminder_minutes``) not given come from the settings.
    """
    title = clean_title(title)
    description = clean_text(description, "description", required=False)
    _clean_window(starts_at, ends_at)
    if starts_at <= (now or utcnow()):
        raise StatusError("starts_at", "The start is in the past. Schedule maintenance for "
                          "a time still to come.")
    components = _clean_components(component_ids)
    maintenance = Maintenance(title=title, description=description, starts_at=starts_at,
                              ends_at=ends_at, notify=bool(notify), components=components,
                              status="scheduled", **clean_stages(stages))
    arm_reminder(maintenance)
    db.session.add(maintenance)
    db.session.flush()
    notification = announce("maintenance_scheduled",
                            maintenance.notify and maintenance.notify_scheduled,
                            maintenance=maintenance)
    audit.record("maintenance_scheduled", f"Maintenance scheduled: {title}",
                 maintenance_id=maintenance.id, title=title,
                 component_ids=[component.id for component in components],
                 **audit.notice(notification))
    return maintenance, notification


def edit_maintenance(maintenance, *, title, description, starts_at, ends_at, component_ids=(),
                     notify=True, now=None, **stages):
    """Change a window that has not ended; returns ``(maintenance, notification)``.

    A running one keeps its start; components added to it go under maintenance at once
    and removed ones settle back. Moving the start or the end of a window subscribers
    have heard of sends a "rescheduled" notice with the old and the new times; moving the
    start re-arms the reminder (unless that notice, sent after the new reminder time,
    already told them).
    """
    if maintenance.status not in ACTIVE_STATES:
        raise StatusConflict("status", f"This maintenance is {maintenance.status_label.lower()}; "
                             "it can no longer be changed.")
    title = clean_title(title)
    description = clean_text(description, "description", required=False)
    _clean_window(starts_at, ends_at)
    now = now or utcnow()
    running = maintenance.status == "in_progress"
    start_moved = starts_at != maintenance.starts_at
    if start_moved:
        if running:
            raise StatusError("starts_at", "This maintenance has started; its start can no "
                              "longer change.")
        if starts_at <= now:
            raise StatusError("starts_at", "The start is in the past. Pick a time still to "
                              "come, or use “start now”.")
    if running and ends_at <= now:
        raise StatusError("ends_at", "The end is in the past. Use “complete now” to end "
                          "the maintenance.")
    components = _clean_components(component_ids)
    cleaned_stages = clean_stages(stages, current=maintenance)
    previous = {"starts_at": maintenance.starts_at, "ends_at": maintenance.ends_at}
    moved = start_moved or ends_at != maintenance.ends_at
    told = maintenance.subscribers_told

    removed = [c for c in maintenance.components if c not in components]
    before = audit.snapshot(maintenance, (
        "title", "description", "starts_at", "ends_at", "notify", *cleaned_stages))
    before["component_ids"] = sorted(c.id for c in maintenance.components)
    maintenance.title, maintenance.description = title, description
    maintenance.starts_at, maintenance.ends_at = starts_at, ends_at
    maintenance.components = components
    maintenance.notify = bool(notify)
    for name, value in cleaned_stages.items():
        setattr(maintenance, name, value)
    reschedule_notice = moved and told and maintenance.notify
    if start_moved:
        maintenance.reminder_sent_at = None
    arm_reminder(maintenance)
    if start_moved and reschedule_notice and maintenance.remind_at is not None \
            and maintenance.remind_at <= now:
        maintenance.reminder_sent_at = now  # the rescheduled notice is the reminder
    db.session.flush()
    if running:
        for component in components:
            component.status = "under_maintenance"
        for component in removed:
            component.status = resting_status(component.id)
    db.session.flush()
    changed = [name for name in audit.changed(before, maintenance) if name != "component_ids"]
    if before["component_ids"] != sorted(c.id for c in components):
        changed.append("components")
    notification = announce("maintenance_rescheduled", reschedule_notice,
                            maintenance=maintenance, previous_window=previous)
    audit.record("maintenance_edited", f"Maintenance edited: {title}",
                 maintenance_id=maintenance.id, changed=sorted(changed),
                 **audit.notice(notification))
    return maintenance, notification


def _transition(maintenance_id, expected, **values):
    result = db.session.execute(
        update(Maintenance).where(Maintenance.id == maintenance_id,
                                  Maintenance.status == expected).values(**values))
    return result.rowcount == 1


def start_maintenance(maintenance_id, now=None):
    """scheduled → in_progress; components go under maintenance. False if not scheduled."""
    now = now or utcnow()
    if not _transition(maintenance_id, "scheduled", status="in_progress", started_at=now,
                       remind_at=None):
        db.session.rollback()
        return False
    maintenance = db.session.get(Maintenance, maintenance_id)
    db.session.refresh(maintenance)
    maintenance.starts_at = min(maintenance.starts_at, now)  # started early: say so
    for component in maintenance.components:
        component.status = "under_maintenance"
    db.session.flush()
    notification = announce("maintenance_started",
                            maintenance.notify and maintenance.notify_started,
                            maintenance=maintenance)
    audit.record("maintenance_started", f"Maintenance started: {maintenance.title}",
                 maintenance_id=maintenance_id, **audit.notice(notification))
    return True


def complete_maintenance(maintenance_id, now=None):
    """in_progress → completed; components settle back. False if not in progress.

    An early end shortens the window; that is the completion, not a reschedule.
    """
    now = now or utcnow()
    if not _transition(maintenance_id, "in_progress", status="completed", completed_at=now):
        db.session.rollback()
        return False
    maintenance = db.session.get(Maintenance, maintenance_id)
    db.session.refresh(maintenance)
    maintenance.ends_at = min(maintenance.ends_at, now)  # finished early: say so
    db.session.flush()
    for component in maintenance.components:
        component.status = resting_status(component.id)
    db.session.flush()
    notification = announce("maintenance_completed",
                            maintenance.notify and maintenance.notify_completed,
                            maintenance=maintenance)
    audit.record("maintenance_completed", f"Maintenance completed: {maintenance.title}",
                 maintenance_id=maintenance_id, **audit.notice(notification))
    return True


def cancel_maintenance(maintenance_id, notify=True):
    """Call off a window that has not started; returns the notification (or ``None``).

    Those told the window is coming are told it is not: the notice goes out when
    ``notify`` is on and subscribers heard of the window. A window that already started
    or ended raises ``StatusConflict``, so a second cancel (another tab, a retried API
    call) announces nothing. Its reminder is disarmed with it.
    """
    if not _transition(maintenance_id, "scheduled", status="cancelled", remind_at=None):
        db.session.rollback()
        maintenance = db.session.get(Maintenance, maintenance_id)
        state = maintenance.status_label.lower() if maintenance is not None else "gone"
        raise StatusConflict("status", "Only maintenance that has not started can be "
                             f"cancelled; this one is {state}.")
    maintenance = db.session.get(Maintenance, maintenance_id)
    db.session.refresh(maintenance)
    notification = announce("maintenance_cancelled", notify and maintenance.subscribers_told,
                            maintenance=maintenance)
    audit.record("maintenance_cancelled", f"Maintenance cancelled: {maintenance.title}",
                 maintenance_id=maintenance_id, **audit.notice(notification))
    return notification
