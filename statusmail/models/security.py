"""The security event log: who signed in, failed, was throttled, or changed something
that matters (settings, deletions). Append-only; pruned with the delivery history."""
from ..extensions import db
from . import utcnow


class SecurityEvent(db.Model):
    __tablename__ = "security_events"

    id = db.Column(db.Integer, primary_key=True)
    kind = db.Column(db.String(40), nullable=False)
    # The admin acting, when known; the address stays when the admin is deleted, and for
    # failed sign-ins it is the address that was tried.
    actor_id = db.Column(db.ForeignKey("admin_users.id", ondelete="SET NULL"))
    actor_email = db.Column(db.String(254))
    client_ip = db.Column(db.String(45))
    # Facts about the event (names, ids, counts) — never a password, token or key.
    detail = db.Column(db.JSON, nullable=False, default=dict)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow, index=True)
