""""Email me my manage link": the preferences link, mailed to whoever owns the address.

The request does the same work whatever the address: it writes one outbound row and
queues its job (no lookup), so neither the answer nor its timing says whether the
address is subscribed. The job decides, when it renders the mail
(:func:`statusmail.services.transactional.render_outbound`):

- a confirmed subscriber gets their manage link, in a mail saying why it was sent;
- a pending one gets a confirmation link instead (a preferences page cannot be saved
  before confirming; that mail says so);
- an unknown, unsubscribed or bounced address gets nothing (its row ends "cancelled"):
  subscribing again is the way back, and mailing them would mail strangers on request.
"""
from ..models import Subscriber
from .outbox import queue_outbound


def request_manage_link(email):
    """Queue the manage-link mail for ``email`` (already normalised)."""
    return queue_outbound("manage_link", email)


def manage_link_recipient(row):
    """The subscriber a ``manage_link`` row may be sent to, or ``None``; ties the row to
    them so their record lists it."""
    subscriber = Subscriber.query.filter_by(email=row.recipient).one_or_none()
    if subscriber is None or subscriber.status not in ("confirmed", "pending"):
        return None
    row.subscriber_id = subscriber.id
    return subscriber
