"""What the delivery log shows of provider events: per notice, a keyset page at a time."""
from sqlalchemy import select

from ...models import ProviderEvent
from ..keyset import keyset_page

EVENT_LABELS = {
    "bounce": "Bounced", "dropped": "Dropped by SendGrid", "spamreport": "Spam report",
    "unsubscribe": "Unsubscribed at SendGrid", "group_unsubscribe": "Unsubscribed at SendGrid",
    "deferred": "Deferred (soft bounce)",
}
REPORTED_CURSOR = "reported_"


def label(event):
    if event.event == "bounce" and event.bounce_type == "blocked":
        return "Blocked"
    return EVENT_LABELS.get(event.event, event.event)


def reported_page(notification_id, per_page, after=None, before=None):
    """The notice's deliveries that SendGrid reported on after accepting them, newest first."""
    query = select(ProviderEvent).where(ProviderEvent.notification_id == notification_id)
    return keyset_page(query, ProviderEvent.id, per_page, after, before)
