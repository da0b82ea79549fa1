"""The security event log: one row per sign-in, failure, throttling, reset, logout and
admin action that changes settings or deletes data, also written to the
``statusmail.security`` logger so a log shipper sees it without reading the database."""
import json
import logging

from ...extensions import db
from ...models import SecurityEvent
from ..text_validation import printable

log = logging.getLogger("statusmail.security")
EMAIL_MAX = 254

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
    "api_token_created": "API token created",
    "api_token_revoked": "API token revoked",
    "notification_cancelled": "Notice cancelled",
    "component_deleted": "Component deleted",
    "incident_draft_discarded": "Draft incident discarded",
    "captured_mail_deleted": "Captured mail deleted",
}
# Detail keys that must never be written: the log is read by more people than the secrets.
FORBIDDEN_DETAIL = frozenset({"password", "token", "secret", "api_key", "key", "plaintext"})


def record_security_event(kind, *, actor=None, actor_email=None, client_ip=None, **detail):
    """Write one event and commit it. Call it after the action itself is committed, so the
    log never claims what did not happen. ``detail`` holds facts (ids, names, counts)."""
    leaked = FORBIDDEN_DETAIL.intersection(detail)
    if leaked:
        raise ValueError(f"security event detail must not carry {sorted(leaked)}")
    detail = {key: printable(value) for key, value in detail.items()}
    email = printable(actor.email if actor is not None else actor_email)
    event = SecurityEvent(kind=kind, actor_id=actor.id if actor is not None else None,
                          actor_email=(email or None) and email[:EMAIL_MAX],
                          client_ip=client_ip, detail=detail)
    db.session.add(event)
    db.session.commit()
    log.info("%s actor=%s ip=%s %s", kind, email or "-", client_ip or "-",
             json.dumps(detail, sort_keys=True, default=str))
    return event


def events_page(before_id=None, per_page=50):
    """Newest first, keyset on id: one query whatever the page, ``(rows, next_before_id)``."""
    query = db.select(SecurityEvent).order_by(SecurityEvent.id.desc()).limit(per_page + 1)
    if before_id is not None:
        query = query.where(SecurityEvent.id < before_id)
    rows = db.session.scalars(query).all()
    more = len(rows) > per_page
    rows = rows[:per_page]
    return rows, (rows[-1].id if more else None)


def label(kind):
    return LABELS.get(kind, kind)
