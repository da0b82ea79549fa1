"""The fan-out ledger: one notification per event, one delivery per subscriber.

The database, not Redis, says what has been sent: a delivery is claimed with a lease
before sending and marked ``sent`` as soon as the server accepts it.
"""
from ..extensions import db
from . import utcnow

EVENT_KINDS = {
    "incident_created": "Incident created",
    "incident_updated": "Incident updated",
    "incident_resolved": "Incident resolved",
    "maintenance_scheduled": "Maintenance scheduled",
    "maintenance_started": "Maintenance started",
    "maintenance_completed": "Maintenance completed",
    "maintenance_cancelled": "Maintenance cancelled",
    "component_status_changed": "Component status changed",
}
NOTIFICATION_STATES = ("sending", "paused", "cancelled", "completed")
DELIVERY_STATES = ("queued", "sending", "sent", "failed", "skipped", "cancelled")


class Notification(db.Model):
    __tablename__ = "notifications"

    id = db.Column(db.Integer, primary_key=True)
    kind = db.Column(db.String(32), nullable=False)
    subject = db.Column(db.String(255), nullable=False)
    # A snapshot of what the mail says, taken at publish time: later edits do not
    # change a notice half-way through its fan-out.
    context = db.Column(db.JSON, nullable=False, default=dict)
    incident_id = db.Column(db.ForeignKey("incidents.id", ondelete="SET NULL"), index=True)
    maintenance_id = db.Column(db.ForeignKey("maintenances.id", ondelete="SET NULL"), index=True)
    component_id = db.Column(db.ForeignKey("components.id", ondelete="SET NULL"), index=True)
    state = db.Column(db.String(16), nullable=False, default="sending", index=True)
    # Who paused it: "operator" (resumes by hand) or "provider" (resumes by itself once
    # the operator saves working email settings).
    paused_by = db.Column(db.String(16))
    total = db.Column(db.Integer, nullable=False, default=0)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow, index=True)
    first_sent_at = db.Column(db.DateTime)
    finished_at = db.Column(db.DateTime)

    deliveries = db.relationship("Delivery", back_populates="notification",
                                 cascade="all, delete-orphan", passive_deletes=True,
                                 lazy="dynamic")

    @property
    def kind_label(self):
        return EVENT_KINDS.get(self.kind, self.kind)


class Delivery(db.Model):
    __tablename__ = "deliveries"
    __table_args__ = (
        db.UniqueConstraint("notification_id", "subscriber_id", name="uq_delivery_once"),
        db.Index("ix_deliveries_notification_state", "notification_id", "state"),
        db.Index("ix_deliveries_state_due", "state", "next_attempt_at"),
    )

    id = db.Column(db.Integer, primary_key=True)
    notification_id = db.Column(db.ForeignKey("notifications.id", ondelete="CASCADE"),
                                nullable=False)
    subscriber_id = db.Column(db.ForeignKey("subscribers.id", ondelete="CASCADE"),
                              nullable=False, index=True)
    state = db.Column(db.String(16), nullable=False, default="queued")
    attempts = db.Column(db.Integer, nullable=False, default=0)
    next_attempt_at = db.Column(db.DateTime)
    lease_expires_at = db.Column(db.DateTime)
    sent_at = db.Column(db.DateTime)
    smtp_code = db.Column(db.Integer)
    smtp_response = db.Column(db.Text)
    message_id = db.Column(db.String(255))
    updated_at = db.Column(db.DateTime, nullable=False, default=utcnow, onupdate=utcnow)

    notification = db.relationship("Notification", back_populates="deliveries")
    subscriber = db.relationship("Subscriber")
