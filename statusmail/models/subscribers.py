"""People who asked for mail, and what they asked for."""
import secrets

from ..extensions import db
from . import utcnow

SUBSCRIBER_STATUSES = ("pending", "confirmed", "unsubscribed", "bounced")
# Hard bounces (5xx recipient rejections) after which an address is no longer mailed.
SUPPRESS_AFTER_BOUNCES = 3
LINK_KEY_BYTES = 16


def new_link_key():
    """A fresh random key for a subscriber's links (url-safe text, 22 characters)."""
    return secrets.token_urlsafe(LINK_KEY_BYTES)

subscriber_components = db.Table(
    "subscriber_components",
    db.Column("subscriber_id", db.ForeignKey("subscribers.id", ondelete="CASCADE"),
              primary_key=True),
    db.Column("component_id", db.ForeignKey("components.id", ondelete="CASCADE"),
              primary_key=True),
)


class Subscriber(db.Model):
    __tablename__ = "subscribers"
    # SQLite would otherwise give a new row the id of the newest deleted one.
    __table_args__ = {"sqlite_autoincrement": True}

    id = db.Column(db.Integer, primary_key=True)
    email = db.Column(db.String(254), unique=True, nullable=False)  # normalised, lower-case
    status = db.Column(db.String(16), nullable=False, default="pending", index=True)
    source = db.Column(db.String(16), nullable=False, default="widget")
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    confirmed_at = db.Column(db.DateTime)
    unsubscribed_at = db.Column(db.DateTime)
    confirmation_sent_at = db.Column(db.DateTime)
    bounce_count = db.Column(db.Integer, nullable=False, default=0)
    last_bounce = db.Column(db.Text)
    # Every link in mail (confirm, manage, unsubscribe) proves it was made with this key
    # (tokens.py), so a link dies with its row, and a new key kills every link sent so far.
    link_key = db.Column(db.String(32), nullable=False, default=new_link_key)
    links_reset_at = db.Column(db.DateTime)

    # Preferences: everything by default; the manage page narrows them.
    all_components = db.Column(db.Boolean, nullable=False, default=True)
    notify_incidents = db.Column(db.Boolean, nullable=False, default=True)
    notify_maintenance = db.Column(db.Boolean, nullable=False, default=True)
    notify_component_changes = db.Column(db.Boolean, nullable=False, default=True)

    components = db.relationship("Component", secondary=subscriber_components)

    @property
    def receives_notifications(self):
        return self.status == "confirmed"


SUBSCRIBER_EVENT_KINDS = ("added", "marked_confirmed")


class SubscriberEvent(db.Model):
    """A line in a subscriber's history that the row's own columns cannot tell: who added
    the address or marked it confirmed, and the consent they recorded for it."""
    __tablename__ = "subscriber_events"

    id = db.Column(db.Integer, primary_key=True)
    subscriber_id = db.Column(db.ForeignKey("subscribers.id", ondelete="CASCADE"),
                              nullable=False, index=True)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    kind = db.Column(db.String(32), nullable=False)
    # Who did it: an admin's address, or "API token <name>".
    actor = db.Column(db.String(254))
    # "sent a confirmation mail" / "marked confirmed" and the consent note, in words.
    detail = db.Column(db.Text, nullable=False, default="")
    consent_note = db.Column(db.Text)
