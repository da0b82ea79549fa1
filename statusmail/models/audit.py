"""The audit log: every operator action — sign-ins and their failures, settings changed,
subscribers, incidents, notices, tokens and users changed, API calls that change state —
with who, when and from where. One log (it grew out of the security event log), pruned
after ``SiteSettings.audit_retention_days``. Append-only."""
from ..extensions import db
from . import utcnow


class AuditEvent(db.Model):
    __tablename__ = "audit_events"

    id = db.Column(db.Integer, primary_key=True)
    kind = db.Column(db.String(60), nullable=False, index=True)
    # The admin acting, when known; the address stays when the admin is deleted, and for
    # failed sign-ins it is the address that was tried.
    actor_id = db.Column(db.ForeignKey("admin_users.id", ondelete="SET NULL"))
    actor_email = db.Column(db.String(254), index=True)
    # An API call: the token's name (kept when the token is revoked). Neither an admin nor
    # a token: the system (CLI, scheduler, jobs).
    actor_token = db.Column(db.String(120), index=True)
    client_ip = db.Column(db.String(45))
    summary = db.Column(db.String(300))
    # Facts about the event (ids, names, counts, changed field names) — never a password,
    # token or key.
    detail = db.Column(db.JSON, nullable=False, default=dict)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow, index=True)

    @property
    def actor_label(self):
        if self.actor_token:
            return f"API token “{self.actor_token}”"
        return self.actor_email or "system"
