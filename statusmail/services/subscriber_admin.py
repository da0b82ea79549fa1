"""What the admin does to subscribers one at a time: find, inspect, remove, re-confirm,
invalidate their links."""
from sqlalchemy import delete, func, select

from ..extensions import db
from ..models import Delivery, Notification, OutboundMail, Subscriber, subscriber_components, utcnow
from ..models.subscribers import SUBSCRIBER_STATUSES
from .outbox import queue_outbound
from .subscriptions import reset_links

STATUS_FILTERS = ("all",) + SUBSCRIBER_STATUSES
HISTORY_LIMIT = 200


class SubscriberActionRefused(Exception):
    """The action does not apply to this subscriber; the message says why."""


def subscriber_filters(status="all", search=""):
    """WHERE clauses for the list filters, shared by the list and the CSV export.

    The search is a case-insensitive substring match in which % and _ mean themselves.
    """
    clauses = []
    if status in SUBSCRIBER_STATUSES:
        clauses.append(Subscriber.status == status)
    search = (search or "").strip()
    if search:
        clauses.append(Subscriber.email.icontains(search, autoescape=True))
    return clauses


def filtered_subscribers(status="all", search=""):
    """A SELECT of the matching subscribers, newest first."""
    return (select(Subscriber).where(*subscriber_filters(status, search))
            .order_by(Subscriber.id.desc()))


def status_counts(search=""):
    """{status: n} of the subscribers a search finds, for every status and "all"."""
    counts = dict.fromkeys(SUBSCRIBER_STATUSES, 0)
    counts.update(db.session.execute(
        select(Subscriber.status, func.count()).where(*subscriber_filters("all", search))
        .group_by(Subscriber.status)).tuples().all())
    counts["all"] = sum(counts.values())
    return counts


def delivery_history(subscriber_id, limit=HISTORY_LIMIT):
    """The subscriber's most recent deliveries, each with its notification."""
    return db.session.execute(
        select(Delivery, Notification)
        .join(Notification, Delivery.notification_id == Notification.id)
        .where(Delivery.subscriber_id == subscriber_id)
        .order_by(Delivery.id.desc()).limit(limit)).all()


def one_off_mails(subscriber_id, limit=HISTORY_LIMIT):
    return db.session.scalars(
        select(OutboundMail).where(OutboundMail.subscriber_id == subscriber_id)
        .order_by(OutboundMail.id.desc()).limit(limit)).all()


def delivery_count(subscriber_id):
    return db.session.scalar(
        select(func.count()).select_from(Delivery).where(Delivery.subscriber_id == subscriber_id))


def remove_subscriber(subscriber_id):
    """Delete the subscriber and every record of mail to them; return the address.

    Rows are deleted explicitly: SQLite does not enforce ON DELETE CASCADE by default.
    """
    subscriber = db.session.get(Subscriber, subscriber_id)
    if subscriber is None:
        raise SubscriberActionRefused("That subscriber no longer exists.")
    email = subscriber.email
    db.session.execute(delete(Delivery).where(Delivery.subscriber_id == subscriber_id))
    db.session.execute(delete(OutboundMail).where(OutboundMail.subscriber_id == subscriber_id))
    db.session.execute(delete(subscriber_components)
                       .where(subscriber_components.c.subscriber_id == subscriber_id))
    db.session.delete(subscriber)
    db.session.commit()
    return email


def invalidate_links(subscriber_id):
    """Replace the subscriber's link key, so no link mailed so far works; return the address.

    For a link that leaked (a forwarded notice, say): the next mail carries new links.
    """
    email = reset_links(subscriber_id)
    if email is None:
        raise SubscriberActionRefused("That subscriber no longer exists.")
    return email


def resend_confirmation(subscriber_id):
    """Queue a new confirmation mail for a pending subscriber; return the address."""
    subscriber = db.session.get(Subscriber, subscriber_id)
    if subscriber is None:
        raise SubscriberActionRefused("That subscriber no longer exists.")
    if subscriber.status != "pending":
        raise SubscriberActionRefused(
            f"{subscriber.email} is {subscriber.status}: only pending subscribers are sent a "
            "confirmation mail.")
    waiting = db.session.scalar(
        select(func.count()).select_from(OutboundMail)
        .where(OutboundMail.subscriber_id == subscriber_id, OutboundMail.kind == "confirm",
               OutboundMail.state.in_(("queued", "sending"))))
    if waiting:
        raise SubscriberActionRefused(
            f"A confirmation mail to {subscriber.email} is already waiting to be sent.")
    subscriber.confirmation_sent_at = utcnow()
    queue_outbound("confirm", subscriber.email, subscriber_id=subscriber.id)
    return subscriber.email
