"""The scheduler's maintenance task: remind, start and complete windows on time.

A reminder is claimed with a conditional UPDATE (``reminder_sent_at IS NULL``) in the
transaction that records its notice: two schedulers, or one restarted mid-tick, send it
once. A window whose start has come gets no reminder (it is starting), nor does a
cancelled one (it is no longer scheduled).
"""
import logging

from sqlalchemy import select, update

from ...extensions import db
from ...models import Maintenance, utcnow
from ..status import announce
from .windows import complete_maintenance, start_maintenance

log = logging.getLogger(__package__)  # one logger for the package, as before the split


def _due_reminder(now):
    return (Maintenance.status == "scheduled", Maintenance.remind_at <= now,
            Maintenance.starts_at > now, Maintenance.reminder_sent_at.is_(None))


def send_due_reminders(now=None):
    """Send every reminder that is due; returns how many this call sent."""
    now = now or utcnow()
    due = db.session.scalars(select(Maintenance.id).where(*_due_reminder(now))
                             .order_by(Maintenance.remind_at)).all()
    sent = 0
    for maintenance_id in due:
        claimed = db.session.execute(
            update(Maintenance).where(Maintenance.id == maintenance_id, *_due_reminder(now))
            .values(reminder_sent_at=now)).rowcount == 1
        if not claimed:
            db.session.rollback()
            continue
        maintenance = db.session.get(Maintenance, maintenance_id)
        db.session.refresh(maintenance)
        announce("maintenance_reminder", maintenance.notify and maintenance.notify_reminder,
                 maintenance=maintenance)
        sent += 1
        log.info("Reminded subscribers of maintenance #%s (starts %s UTC).", maintenance_id,
                 f"{maintenance.starts_at:%Y-%m-%d %H:%M}")
    return sent


def advance_maintenance(now=None):
    """Scheduler task: send due reminders, start windows whose start has come, complete
    those whose end has; returns ``(started, completed)``.

    A window entirely in the past (the scheduler was down) is started and completed in
    the same tick, each announced once, and never reminded. Each move is one INFO line:
    the operator reading the scheduler's output sees what the clock did (ids and times
    only; titles are the operator's text and stay in the admin).
    """
    now = now or utcnow()
    send_due_reminders(now)
    due_to_start = db.session.execute(
        select(Maintenance.id, Maintenance.starts_at)
        .where(Maintenance.status == "scheduled", Maintenance.starts_at <= now)
        .order_by(Maintenance.starts_at)).all()
    started = 0
    for maintenance_id, starts_at in due_to_start:
        if start_maintenance(maintenance_id, now):
            started += 1
            log.info("Started maintenance #%s (scheduled for %s UTC).", maintenance_id,
                     f"{starts_at:%Y-%m-%d %H:%M}")
    due_to_end = db.session.execute(
        select(Maintenance.id, Maintenance.ends_at)
        .where(Maintenance.status == "in_progress", Maintenance.ends_at <= now)
        .order_by(Maintenance.ends_at)).all()
    completed = 0
    for maintenance_id, ends_at in due_to_end:
        if complete_maintenance(maintenance_id, now):
            completed += 1
            log.info("Completed maintenance #%s (scheduled to end %s UTC).", maintenance_id,
                     f"{ends_at:%Y-%m-%d %H:%M}")
    return started, completed
