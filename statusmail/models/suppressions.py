"""Addresses we never mail again, and what mailbox providers told us about our mail.

A ``Suppression`` is keyed by the address, not the subscriber: it outlives the
subscriber's row, so a removed subscriber signing up again (or coming back in an import)
still gets no mail. Lifting one keeps the row (``lifted_at``/``lifted_by``) for the
history; at most one row per address is active, enforced by a partial unique index that
both SQLite and PostgreSQL understand.

A ``ProviderEvent`` is one accepted event from SendGrid's Event Webhook that says
something about deliverability (bounces, blocks, drops, spam reports, unsubscribes,
deferrals); ``sg_event_id`` is unique so a replayed event is stored once.
"""
from ..extensions import db
from . import utcnow

ACTIVE = "lifted_at IS NULL"

SUPPRESSION_REASONS = {
    "hard_bounce": "Hard bounce",
    "block": "Blocked by the receiving server",
    "spam_report": "Spam report",
    "provider_unsubscribe": "Unsubscribed at the provider",
    "smtp_refusal": "Refused by the SMTP server",
    "not_me": "“This wasn't me”",
    "operator": "Added by an operator",
    "soft_bounce_limit": "Too many soft bounces",
}
SUPPRESSION_SOURCES = {
    "smtp": "SMTP 5xx",
    "webhook": "SendGrid webhook",
    "subscriber": "The address's owner",
    "operator": "Operator",
    "import": "Import",
}
# Reasons that say the mailbox does not take our mail (the subscriber ends "bounced");
# the others are a person's choice (the subscriber ends "unsubscribed").
BOUNCE_REASONS = frozenset({"hard_bounce", "block", "smtp_refusal", "soft_bounce_limit"})


class Suppression(db.Model):
    __tablename__ = "suppressions"
    __table_args__ = (
        db.Index("uq_suppressions_active_email", "email", unique=True,
                 postgresql_where=db.text(ACTIVE), sqlite_where=db.text(ACTIVE)),
        db.Index("ix_suppressions_email", "email"),
        {"sqlite_autoincrement": True},
    )

    id = db.Column(db.Integer, primary_key=True)
    email = db.Column(db.String(254), nullable=False)  # normalised, lower-case
    subscriber_id = db.Column(db.ForeignKey("subscribers.id", ondelete="SET NULL"), index=True)
    reason = db.Column(db.String(32), nullable=False)
    source = db.Column(db.String(16), nullable=False)
    detail = db.Column(db.Text)
    # The notice whose mail caused it (a bounce or a complaint about that notice).
    notification_id = db.Column(db.ForeignKey("notifications.id", ondelete="SET NULL"),
                                index=True)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    lifted_at = db.Column(db.DateTime)
    lifted_by = db.Column(db.String(254))  # the operator's address, kept if they leave
    lift_note = db.Column(db.Text)

    @property
    def active(self):
        return self.lifted_at is None

    @property
    def reason_label(self):
        return SUPPRESSION_REASONS.get(self.reason, self.reason)

    @property
    def source_label(self):
        return SUPPRESSION_SOURCES.get(self.source, self.source)


class ProviderEvent(db.Model):
    __tablename__ = "provider_events"
    __table_args__ = (
        # The soft-bounce threshold counts an address's recent deferrals.
        db.Index("ix_provider_events_email_event", "email", "event", "occurred_at"),
    )

    id = db.Column(db.Integer, primary_key=True)
    sg_event_id = db.Column(db.String(100), nullable=False, unique=True)
    sg_message_id = db.Column(db.String(255))
    # bounce (with bounce_type "bounce" or "blocked"), dropped, spamreport, unsubscribe,
    # group_unsubscribe, deferred
    event = db.Column(db.String(32), nullable=False)
    bounce_type = db.Column(db.String(32))
    email = db.Column(db.String(254), nullable=False)
    subscriber_id = db.Column(db.ForeignKey("subscribers.id", ondelete="SET NULL"), index=True)
    notification_id = db.Column(db.ForeignKey("notifications.id", ondelete="SET NULL"),
                                index=True)
    # Only a delivery of ours to this very address (custom_args are checked against it).
    delivery_id = db.Column(db.ForeignKey("deliveries.id", ondelete="SET NULL"), index=True)
    reason = db.Column(db.Text)
    status = db.Column(db.String(64))
    occurred_at = db.Column(db.DateTime, nullable=False, index=True)
    received_at = db.Column(db.DateTime, nullable=False, default=utcnow)


class EventWebhookSettings(db.Model):
    """The SendGrid Event Webhook's verification key (one row). A public key, so not a
    secret, but only an owner may change it: whoever sets it decides whose events count."""
    __tablename__ = "event_webhook_settings"

    id = db.Column(db.Integer, primary_key=True)
    # Base64 DER SubjectPublicKeyInfo, as SendGrid shows it; empty: the webhook is off.
    sendgrid_public_key = db.Column(db.Text)
    updated_at = db.Column(db.DateTime, nullable=False, default=utcnow, onupdate=utcnow)
    updated_by = db.Column(db.String(254))

    @classmethod
    def get(cls):
        row = db.session.get(cls, 1)
        if row is None:
            row = cls(id=1)
            db.session.add(row)
            db.session.flush()
        return row
