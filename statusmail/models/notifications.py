"""The fan-out ledger: one notification per event, one delivery per subscriber.

The database, not Redis, says what has been sent: a delivery is claimed with a lease
before sending and marked ``sent`` as soon as the server accepts it.
"""
from ..extensions import db
from ..wording import N_
from . import utcnow

EVENT_KINDS = {
    "incident_created": N_("Incident created"),
    "incident_updated": N_("Incident updated"),
    "incident_resolved": N_("Incident resolved"),
    "maintenance_scheduled": N_("Maintenance scheduled"),
    "maintenance_rescheduled": N_("Maintenance rescheduled"),
    "maintenance_reminder": N_("Maintenance reminder"),
    "maintenance_updated": N_("Maintenance update"),
    "maintenance_started": N_("Maintenance started"),
    "maintenance_completed": N_("Maintenance completed"),
    "maintenance_cancelled": N_("Maintenance cancelled"),
    "component_status_changed": N_("Component status changed"),
}
NOTIFICATION_STATES = ("sending", "paused", "cancelled", "completed")
DELIVERY_STATES = ("queued", "sending", "sent", "failed", "skipped", "cancelled")
# Queued with a time set: waiting for its backoff after a temporary failure (or for the
# next day's sending budget). The sweeper clears the time when it queues the retry.
DEFERRED_CONDITION = "state = 'queued' AND next_attempt_at IS NOT NULL"


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
    # Deliveries re-offered after their worker died while their message may already have
    # been accepted: counted here so the delivery log need not count delivery rows.
    maybe_sent_twice = db.Column(db.Integer, nullable=False, default=0, server_default="0")
    # The audience is copied into deliveries by a job, in chunks of subscriber ids
    # (fanout.expand); publishing only records who it is for and sets ``expanding``
    # until the last chunk is in. A notice made any other way is complete from the start.
    audience_component_ids = db.Column(db.JSON)
    audience_max_subscriber_id = db.Column(db.Integer)
    expanded_through = db.Column(db.Integer, nullable=False, default=0)
    expansion_lease_expires_at = db.Column(db.DateTime)
    expanding = db.Column(db.Boolean, nullable=False, default=False)

    deliveries = db.relationship("Delivery", back_populates="notification",
                                 cascade="all, delete-orphan", passive_deletes=True,
                                 lazy="dynamic")

    @property
    def kind_label(self):
        return EVENT_KINDS.get(self.kind, self.kind)

    @property
    def display_state(self):
        """"expanding" while sending and still copying its audience (``total`` grows)."""
        return "expanding" if self.expanding and self.state == "sending" else self.state


class Delivery(db.Model):
    """One subscriber's copy of a notification.

    On PostgreSQL every state change writes a new row version with an entry in every
    index (``state`` is indexed, so no such update is HOT), except a partial index whose
    condition the new version fails. So the indexes are few: a delivery marked sent
    enters three, the primary key, ``uq_delivery_once`` and the per-notification one
    (a failed one also the partial index of failures).
    """
    __tablename__ = "deliveries"
    __table_args__ = (
        # Subscriber first, so that it also serves a subscriber's history and the cascade
        # when a subscriber is deleted.
        db.UniqueConstraint("subscriber_id", "notification_id", name="uq_delivery_once"),
        # Everything per notification: counts by state, failures, waiting work, and with
        # next_attempt_at the retries that are due (NULL, "not waiting", sorts apart).
        db.Index("ix_deliveries_notification_state", "notification_id", "state",
                 "next_attempt_at"),
        # The sweeper's search for leases that ran out: only rows being sent are in it.
        # ``state`` leads so that SQLite's planner sees an equality and prefers it.
        db.Index("ix_deliveries_lease_expiry", "state", "lease_expires_at",
                 postgresql_where=db.text("state = 'sending'"),
                 sqlite_where=db.text("state = 'sending'")),
        # The delivery log's failures, a page at a time in id order: only failed rows
        # are in it, so a notice with 50,000 failures need not sort them for each page.
        db.Index("ix_deliveries_failed", "notification_id", "id",
                 postgresql_where=db.text("state = 'failed'"),
                 sqlite_where=db.text("state = 'failed'")),
        # The delivery log's deferred deliveries (queued again after a temporary failure,
        # or held for the day's sending limit), a page at a time in id order. A delivery
        # enters it only when it is deferred: the plain fan-out never writes to it.
        db.Index("ix_deliveries_deferred", "notification_id", "id",
                 postgresql_where=db.text(DEFERRED_CONDITION),
                 sqlite_where=db.text(DEFERRED_CONDITION)),
    )

    id = db.Column(db.Integer, primary_key=True)
    notification_id = db.Column(db.ForeignKey("notifications.id", ondelete="CASCADE"),
                                nullable=False)
    subscriber_id = db.Column(db.ForeignKey("subscribers.id", ondelete="CASCADE"),
                              nullable=False)
    state = db.Column(db.String(16), nullable=False, default="queued")
    attempts = db.Column(db.Integer, nullable=False, default=0)
    next_attempt_at = db.Column(db.DateTime)
    lease_expires_at = db.Column(db.DateTime)
    sent_at = db.Column(db.DateTime)
    smtp_code = db.Column(db.Integer)
    smtp_response = db.Column(db.Text)
    message_id = db.Column(db.String(255))
    # Its worker died holding it while its message may have been with the server: the
    # copy sent since may be the second (with the same Message-ID).
    maybe_sent_before = db.Column(db.Boolean, nullable=False, default=False,
                                  server_default=db.false())
    # Its message is in a request sent for many deliveries at once (SendGrid batches),
    # whose answer is not recorded yet: should the worker die now, every one of them may
    # have been accepted, not only the claim's lowest. Cleared when it is claimed again.
    in_flight = db.Column(db.Boolean, nullable=False, default=False, server_default=db.false())
    updated_at = db.Column(db.DateTime, nullable=False, default=utcnow, onupdate=utcnow)

    notification = db.relationship("Notification", back_populates="deliveries")
    subscriber = db.relationship("Subscriber")
