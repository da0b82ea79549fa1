"""How many deliveries of a notice are in each state: read from the maintained counts.

The counts are kept by triggers in the same transaction as every delivery change
(:mod:`statusmail.models.counts`), so reading them costs a few rows per notice however
many deliveries it has.
"""
from sqlalchemy import func, select

from ..extensions import db
from ..models import DeliveryStateCount
from ..models.notifications import DELIVERY_STATES


def state_counts(notification_ids):
    """``{notification_id: {state: n}}`` with every state present (0 when none)."""
    counts = {notification_id: dict.fromkeys(DELIVERY_STATES, 0)
              for notification_id in notification_ids}
    if not counts:
        return counts
    rows = db.session.execute(
        select(DeliveryStateCount.notification_id, DeliveryStateCount.state,
               func.sum(DeliveryStateCount.total))
        .where(DeliveryStateCount.notification_id.in_(list(counts)))
        .group_by(DeliveryStateCount.notification_id, DeliveryStateCount.state))
    for notification_id, state, number in rows:
        counts[notification_id][state] = int(number)
    return counts
