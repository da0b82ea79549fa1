"""Reading the audit log: what each kind is called, pages of entries filtered by actor,
kind and date (keyset: one query whatever the depth), the filtered set as streamed CSV,
and the log's own settings."""
import csv
import io
import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import or_, select

from ..extensions import db
from ..models import AdminUser, ApiToken, AuditEvent, SiteSettings
from . import audit
from .keyset import keyset_page
from .subscriber_csv import format_date, neutralise
from .timezones import to_utc

SYSTEM_ACTOR = "system"
EXPORT_COLUMNS = ("id", "created_at", "kind", "actor", "actor_type", "client_ip", "summary",
                  "detail")
EXPORT_CHUNK = 1000
RETENTION_MAX_DAYS = 3650

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
    "deliverability_backfilled": "Deliverability history filled",
    "email_settings_saved": "Email settings saved",
    "email_settings_tried": "Unsaved email settings tried",
    "test_mail_sent": "Test mail sent",
    "notifications_switched": "Notifications switched",
    "audit_settings_saved": "Audit log settings saved",
    "audit_log_exported": "Audit log exported",
    "subscriber_removed": "Subscriber removed",
    "subscriber_added": "Subscriber added",
    "subscriber_marked_confirmed": "Subscriber marked confirmed",
    "subscriber_links_invalidated": "Subscriber's links invalidated",
    "subscriber_confirmation_resent": "Confirmation mail sent again",
    "subscribers_exported": "Subscribers exported",
    "subscribers_imported": "Subscribers imported",
    "component_created": "Component added",
    "component_edited": "Component edited",
    "component_status_changed": "Component status changed",
    "component_deleted": "Component deleted",
    "incident_created": "Incident opened",
    "incident_drafted": "Draft incident saved",
    "incident_published": "Draft incident published",
    "incident_draft_discarded": "Draft incident discarded",
    "incident_backfilled": "Past incident recorded",
    "incident_edited": "Incident edited",
    "incident_updated": "Incident updated",
    "incident_resolved": "Incident resolved",
    "incident_template_saved": "Incident template saved",
    "incident_template_deleted": "Incident template deleted",
    "maintenance_scheduled": "Maintenance scheduled",
    "maintenance_edited": "Maintenance edited",
    "maintenance_updated": "Maintenance update posted",
    "maintenance_started": "Maintenance started",
    "maintenance_completed": "Maintenance completed",
    "maintenance_cancelled": "Maintenance cancelled",
    "notification_paused": "Notice paused",
    "notification_resumed": "Notice resumed",
    "notification_cancelled": "Notice cancelled",
    "notification_retried": "Failed deliveries retried",
    "api_token_created": "API token created",
    "api_token_revoked": "API token revoked",
    "captured_mail_deleted": "Captured mail deleted",
    "suppression_added": "Address suppressed",
    "suppression_lifted": "Suppression lifted",
    "event_webhook_key_changed": "Event webhook key changed",
    "queue_action": "Queues dashboard action",
    "dkim_key_generated": "DKIM key generated",
    "dkim_key_pasted": "DKIM key pasted",
    "dkim_key_enabled": "DKIM key enabled",
    "dkim_key_disabled": "DKIM key disabled",
    "dkim_key_deleted": "DKIM key deleted",
    "mail_template_saved": "Mail template saved",
    "mail_branding_saved": "Mail branding saved",
    "invitation_sent": "Invitation sent",
    "invitation_resent": "Invitation re-sent",
    "invitation_revoked": "Invitation revoked",
    "invitation_accepted": "Invitation accepted",
    "role_changed": "Role changed",
    "user_deactivated": "User deactivated",
    "user_reactivated": "User reactivated",
    "email_changed": "Email address changed",
    "login_refused_deactivated": "Sign-in refused: account deactivated",
}


@dataclass(frozen=True)
class AuditFilters:
    """``actor``: an admin's address, an API token's name or "system"; ``since``/``until``:
    days in the operator's zone, both included."""
    actor: str = ""
    kind: str = ""
    since: date | None = None
    until: date | None = None

    def clauses(self, zone):
        found = []
        if self.actor == SYSTEM_ACTOR:
            found += [AuditEvent.actor_email.is_(None), AuditEvent.actor_token.is_(None)]
        elif self.actor:
            found.append(or_(AuditEvent.actor_email == self.actor.lower(),
                             AuditEvent.actor_token == self.actor))
        if self.kind:
            found.append(AuditEvent.kind == self.kind)
        if self.since:
            found.append(AuditEvent.created_at >= to_utc(datetime.combine(self.since, time()),
                                                         zone))
        if self.until:
            found.append(AuditEvent.created_at < to_utc(
                datetime.combine(self.until + timedelta(days=1), time()), zone))
        return found

    def args(self):
        """As query-string arguments (empty ones left out)."""
        values = {"actor": self.actor, "kind": self.kind,
                  "since": self.since and self.since.isoformat(),
                  "until": self.until and self.until.isoformat()}
        return {name: value for name, value in values.items() if value}


def entries_page(filters, zone, per_page, after=None, before=None):
    """One page of matching entries, newest first (:func:`keyset.keyset_page`)."""
    return keyset_page(select(AuditEvent).where(*filters.clauses(zone)), AuditEvent.id,
                       per_page, after, before)


def known_actors():
    """Addresses of the admins and names of the tokens, to suggest in the actor filter
    (entries of deleted admins and revoked tokens stay findable by typing them)."""
    emails = db.session.scalars(select(AdminUser.email).order_by(AdminUser.email)).all()
    tokens = db.session.scalars(select(ApiToken.name).distinct().order_by(ApiToken.name)).all()
    return [SYSTEM_ACTOR, *emails, *tokens]


def kinds():
    """``[(kind, label), …]`` by label, for the kind filter."""
    return sorted(LABELS.items(), key=lambda item: item[1])


def label(kind):
    return LABELS.get(kind, kind)


def export_rows(filters, zone):
    """The header, then every matching entry newest first, read a chunk at a time (keyset
    on id: memory stays flat however long the log)."""
    yield list(EXPORT_COLUMNS)
    clauses = filters.clauses(zone)
    before_id = None
    while True:
        # Plain rows, not model objects: nothing piles up in the session as the file goes.
        query = select(*_EXPORTED).where(*clauses).order_by(AuditEvent.id.desc())
        if before_id is not None:
            query = query.where(AuditEvent.id < before_id)
        batch = db.session.execute(query.limit(EXPORT_CHUNK)).all()
        if not batch:
            return
        for event in batch:
            yield [neutralise(str(cell)) for cell in _export_cells(event)]
        before_id = batch[-1].id


_EXPORTED = (AuditEvent.id, AuditEvent.created_at, AuditEvent.kind, AuditEvent.actor_email,
             AuditEvent.actor_token, AuditEvent.client_ip, AuditEvent.summary, AuditEvent.detail)


def _export_cells(event):
    actor_type = "api" if event.actor_token else "admin" if event.actor_email else "system"
    return (event.id, format_date(event.created_at), event.kind,
            event.actor_token or event.actor_email or SYSTEM_ACTOR, actor_type,
            event.client_ip or "", event.summary or "",
            json_text(event.detail))


def json_text(detail):
    return json.dumps(detail or {}, sort_keys=True, ensure_ascii=False, default=str)


def export_csv(filters, zone, rows_per_chunk=500):
    """The export as text chunks for a streamed response."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for count, row in enumerate(export_rows(filters, zone), 1):
        writer.writerow(row)
        if count % rows_per_chunk == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def save_audit_settings(retention_days):
    settings = SiteSettings.get()
    before = audit.snapshot(settings, ("audit_retention_days",))
    settings.audit_retention_days = retention_days
    db.session.commit()
    audit.record("audit_settings_saved", f"Audit log kept {retention_days} days"
                 if retention_days else "Audit log kept for ever",
                 changed=audit.changed(before, settings), retention_days=retention_days)
