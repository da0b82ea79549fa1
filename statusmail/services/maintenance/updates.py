"""Updates during a window ("work is taking longer", "verifying"), like incident updates.

Each is on the status page; it mails subscribers when asked and the window notifies.
"""
from ...extensions import db
from ...models import MaintenanceUpdate
from .. import audit
from ..status import StatusConflict, announce, clean_text
from .windows import ACTIVE_STATES


def post_maintenance_update(maintenance, *, message, notify=True):
    """Add an update to a window not yet over; returns ``(update, notification)``."""
    if maintenance.status not in ACTIVE_STATES:
        raise StatusConflict("status", f"This maintenance is {maintenance.status_label.lower()}; "
                             "updates are for windows still to come or in progress.")
    message = clean_text(message, "message")
    entry = MaintenanceUpdate(maintenance=maintenance, status=maintenance.status,
                              message=message)
    db.session.add(entry)
    db.session.flush()
    notification = announce("maintenance_updated", bool(notify) and maintenance.notify,
                            maintenance=maintenance, maintenance_update=entry)
    audit.record("maintenance_updated", f"Maintenance update posted: {maintenance.title}",
                 maintenance_id=maintenance.id, update_id=entry.id,
                 **audit.notice(notification))
    return entry, notification
