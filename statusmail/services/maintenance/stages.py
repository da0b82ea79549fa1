"""Which stages of a window mail subscribers, and when its reminder is due.

Each window keeps its own switches and lead time, copied from the settings when it is
scheduled (so changing the defaults later does not change a window already announced).
"""
from datetime import timedelta

from ...models import SiteSettings
from ..status import StatusError

STAGES = ("scheduled", "reminder", "started", "completed")
REMINDER_MINUTES_MAX = 10_080  # a week


def stage_defaults():
    """``{notify_<stage>: bool, reminder_minutes: int}`` from the settings."""
    settings = SiteSettings.get()
    minutes = settings.maintenance_reminder_minutes
    return {"notify_scheduled": settings.maintenance_notify_scheduled,
            "notify_reminder": minutes > 0,
            "notify_started": settings.maintenance_notify_started,
            "notify_completed": settings.maintenance_notify_completed,
            "reminder_minutes": minutes}


def clean_stages(values, current=None):
    """The stage switches and lead time to store: given ones checked, the rest from
    ``current`` (a window being edited) or from the settings (a new one)."""
    base = ({name: getattr(current, name) for name in stage_defaults()}
            if current is not None else stage_defaults())
    cleaned = {}
    for name, default in base.items():
        value = values.get(name)
        if value is None:
            value = default
        if name == "reminder_minutes":
            if not isinstance(value, int) or isinstance(value, bool) \
                    or not 0 <= value <= REMINDER_MINUTES_MAX:
                raise StatusError(name, "Give the reminder's lead time in whole minutes, "
                                  f"from 0 (no reminder) to {REMINDER_MINUTES_MAX:,} (a week).")
        elif not isinstance(value, bool):
            raise StatusError(name, "This must be true or false.")
        cleaned[name] = value
    return cleaned


def arm_reminder(maintenance):
    """When the reminder is due, or ``None`` when this window sends none (any more)."""
    wanted = (maintenance.status == "scheduled" and maintenance.notify
              and maintenance.notify_reminder and maintenance.reminder_minutes > 0)
    maintenance.remind_at = (maintenance.starts_at - timedelta(minutes=maintenance.reminder_minutes)
                             if wanted else None)
