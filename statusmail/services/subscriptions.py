"""A subscriber's life: sign up, confirm by mail, choose what to hear about, leave.

Every change of status is a conditional UPDATE, so a double click, a retried request or
two browser tabs can never confirm twice, send two confirmation mails at once, or bring
back an address that just left.
"""
from datetime import timedelta

from sqlalchemy import or_, update
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import Component, Subscriber, utcnow
from ..models.subscribers import new_link_key
from ..tokens import make_subscriber_token, read_subscriber_token
from .outbox import queue_outbound
from .suppressions import is_suppressed

# A second sign-up within this window does not send another confirmation mail: a
# double-clicked form or a script cannot flood an inbox.
RESEND_CONFIRMATION_AFTER = timedelta(minutes=5)


def request_subscription(email, source="widget"):
    """Ask ``email`` (already normalised) to confirm; returns what happened, for logs and tests.

    The caller must show the same answer whatever this returns, or the form would tell
    strangers who is subscribed. A suppressed address changes nothing and gets no mail
    ("suppressed"): it asked never to hear from us, or its mailbox refuses our mail.
    """
    if is_suppressed(email):
        return "suppressed"
    try:
        return _request_subscription(email, source)
    except IntegrityError:
        # Another request created the same address a moment ago: treat it as existing.
        db.session.rollback()
        return _request_subscription(email, source)


def _request_subscription(email, source):
    subscriber = Subscriber.query.filter_by(email=email).one_or_none()
    if subscriber is None:
        subscriber = Subscriber(email=email, status="pending", source=source,
                                confirmation_sent_at=utcnow())
        db.session.add(subscriber)
        db.session.flush()
        _queue_confirmation(subscriber)
        return "created"
    if subscriber.status == "confirmed":
        return "already_confirmed"
    if subscriber.status in ("unsubscribed", "bounced"):
        # A fresh opt-in. A bounced address gets no notice unless the confirmation
        # arrives and is acted on, which proves the mailbox works again. It is a new
        # subscription, so it gets new links: those in mail from before the person left
        # stop working, and the new confirmation mail carries the new key.
        now = utcnow()
        moved = _transition(subscriber.id, Subscriber.status == subscriber.status,
                            status="pending", confirmed_at=None, unsubscribed_at=None,
                            confirmation_sent_at=now, link_key=new_link_key(),
                            links_reset_at=now)
        outcome = "resubscribed"
    else:
        cutoff = utcnow() - RESEND_CONFIRMATION_AFTER
        moved = _transition(subscriber.id, Subscriber.status == "pending",
                            or_(Subscriber.confirmation_sent_at.is_(None),
                                Subscriber.confirmation_sent_at < cutoff),
                            confirmation_sent_at=utcnow())
        outcome = "resent"
    if not moved:
        db.session.rollback()
        return "recently_sent"
    _queue_confirmation(subscriber)
    return outcome


def _transition(subscriber_id, *conditions, **values):
    """Apply ``values`` only if the row still matches ``conditions``; True if it did."""
    result = db.session.execute(
        update(Subscriber).where(Subscriber.id == subscriber_id, *conditions).values(**values)
        .execution_options(synchronize_session="fetch"))
    return result.rowcount == 1


def _queue_confirmation(subscriber):
    # queue_outbound commits the subscriber change and the mail row together.
    queue_outbound("confirm", subscriber.email, subscriber_id=subscriber.id)


def link_token(purpose, subscriber):
    """A signed link for ``subscriber``, bound to their current link key."""
    return make_subscriber_token(purpose, subscriber.id, subscriber.link_key)


def subscriber_from_token(purpose, token):
    """The subscriber a signed link belongs to, or ``None`` when it belongs to nobody now.

    Raises ``tokens.TokenExpired`` (its ``payload`` a ``SubscriberLink`` or ``None``) /
    ``tokens.TokenInvalid`` for expired or bad links. ``None`` covers a deleted subscriber,
    a row that is not the one the link was made for, and links invalidated since.
    """
    return subscriber_for_link(read_subscriber_token(purpose, token))


def subscriber_for_link(link):
    """The subscriber whose current key made ``link`` (a ``tokens.SubscriberLink``), or ``None``."""
    if link is None:
        return None
    subscriber = db.session.get(Subscriber, link.subscriber_id)
    if subscriber is None or not link.made_with(subscriber.link_key):
        return None
    return subscriber


def confirm_subscription(subscriber):
    """Confirm a pending subscriber. Returns "confirmed", "already_confirmed" or "not_pending"."""
    # Acting on the mail proves the address takes mail: earlier bounces no longer count.
    if _transition(subscriber.id, Subscriber.status == "pending",
                   Subscriber.link_key == subscriber.link_key,
                   status="confirmed", confirmed_at=utcnow(), bounce_count=0):
        db.session.commit()
        return "confirmed"
    db.session.rollback()
    return "already_confirmed" if subscriber.status == "confirmed" else "not_pending"


def resend_confirmation(subscriber):
    """Send a fresh link for an expired one; asking again is the same as signing up again."""
    return request_subscription(subscriber.email)


def reset_links(subscriber_id):
    """Give the subscriber a new link key: every link sent so far stops working.

    Returns the address, or ``None`` if the subscriber is gone.
    """
    if not _transition(subscriber_id, link_key=new_link_key(), links_reset_at=utcnow()):
        db.session.rollback()
        return None
    db.session.commit()
    return db.session.get(Subscriber, subscriber_id).email


def unsubscribe(subscriber):
    """Stop all mail to a subscriber; doing it twice, or for a pending one, is fine."""
    _transition(subscriber.id, Subscriber.status.in_(("pending", "confirmed")),
                Subscriber.link_key == subscriber.link_key,
                status="unsubscribed", unsubscribed_at=utcnow())
    db.session.commit()


def components_by_group():
    """[(group name or None, [components])], groups in the order the status page shows them."""
    groups = {}
    for component in Component.query.order_by(Component.position, Component.name):
        groups.setdefault(component.group_name, []).append(component)
    return list(groups.items())


def update_preferences(subscriber, *, all_components, component_ids, notify_incidents,
                       notify_maintenance, notify_component_changes):
    """Save what a subscriber wants to hear about. Unknown component ids are ignored."""
    subscriber.all_components = all_components
    subscriber.components = [] if all_components else (
        Component.query.filter(Component.id.in_(component_ids)).all())
    subscriber.notify_incidents = notify_incidents
    subscriber.notify_maintenance = notify_maintenance
    subscriber.notify_component_changes = notify_component_changes
    db.session.commit()
