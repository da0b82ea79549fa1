"""One-off mail (confirmation, manage link, password reset, invitation, test send) and mail
captured locally."""
from ..extensions import db
from . import utcnow

OUTBOUND_KINDS = ("confirm", "manage_link", "password_reset", "test", "invitation")


class OutboundMail(db.Model):
    """A single transactional mail, sent by a job that takes only this row's id."""
    __tablename__ = "outbound_mail"

    id = db.Column(db.Integer, primary_key=True)
    kind = db.Column(db.String(16), nullable=False)
    recipient = db.Column(db.String(254), nullable=False)
    subscriber_id = db.Column(db.ForeignKey("subscribers.id", ondelete="CASCADE"), index=True)
    admin_user_id = db.Column(db.ForeignKey("admin_users.id", ondelete="CASCADE"))
    invitation_id = db.Column(db.ForeignKey("admin_invitations.id", ondelete="CASCADE"))
    subject = db.Column(db.String(255))  # test sends only; other kinds render theirs
    body = db.Column(db.Text)
    state = db.Column(db.String(16), nullable=False, default="queued", index=True)
    attempts = db.Column(db.Integer, nullable=False, default=0)
    next_attempt_at = db.Column(db.DateTime)
    lease_expires_at = db.Column(db.DateTime)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    started_at = db.Column(db.DateTime)
    finished_at = db.Column(db.DateTime)
    # Outcome: the server's reply on success, a diagnosis a person can act on otherwise.
    diagnosis = db.Column(db.String(32))
    result_code = db.Column(db.Integer)
    result_message = db.Column(db.Text)
    message_id = db.Column(db.String(255))


class CapturedMail(db.Model):
    """Mail kept instead of sent while no provider is configured: never lost, viewable."""
    __tablename__ = "captured_mail"

    id = db.Column(db.Integer, primary_key=True)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow, index=True)
    sender = db.Column(db.String(254), nullable=False)
    recipient = db.Column(db.String(254), nullable=False, index=True)
    subject = db.Column(db.String(998), nullable=False, default="")
    raw = db.Column(db.LargeBinary, nullable=False)
