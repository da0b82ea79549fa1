"""Reading the audit log: what each kind is called, and pages of entries newest first."""
from ..extensions import db
from ..models import AuditEvent

# What the admin page calls each kind; a kind not listed is shown as it is.
LABELS = {
    "login_succeeded": "Signed in",
    "login_failed": "Sign-in failed",
    "login_throttled": "Sign-in throttled",
    "logout": "Logged out",
    "password_reset_requested": "Password reset requested",
    "password_reset_throttled": "Password reset throttled",
    "password_reset_completed": "Password reset completed",
    "password_changed": "Password changed",
    "password_set_by_cli": "Password set by create-admin",
    "email_settings_saved": "Email settings saved",
    "email_settings_tried": "Unsaved email settings tried",
    "notifications_switched": "Notifications switched",
    "subscriber_removed": "Subscriber removed",
    "subscriber_links_invalidated": "Subscriber's links invalidated",
    "subscribers_exported": "Subscribers exported",
    "subscribers_imported": "Subscribers imported",
    "api_token_created": "API token created",
    "api_token_revoked": "API token revoked",
    "notification_cancelled": "Notice cancelled",
    "component_deleted": "Component deleted",
    "incident_draft_discarded": "Draft incident discarded",
    "captured_mail_deleted": "Captured mail deleted",
    "suppression_added": "Address suppressed",
    "suppression_lifted": "Suppression lifted",
    "event_webhook_key_changed": "Event webhook key changed",
}


def events_page(before_id=None, per_page=50):
    """Newest first, keyset on id: one query whatever the page, ``(rows, next_before_id)``."""
    query = db.select(AuditEvent).order_by(AuditEvent.id.desc()).limit(per_page + 1)
    if before_id is not None:
        query = query.where(AuditEvent.id < before_id)
    rows = db.session.scalars(query).all()
    more = len(rows) > per_page
    rows = rows[:per_page]
    return rows, (rows[-1].id if more else None)


def label(kind):
    return LABELS.get(kind, kind)
