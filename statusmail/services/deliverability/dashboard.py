"""The deliverability dashboard's figures: per day and per notice, from maintained counts.

Every figure comes from the counters the database keeps (:mod:`statusmail.models.deliverability`
and :mod:`statusmail.models.counts`), so a page costs the same few queries whether the list
has a thousand subscribers or a million: one for the days, one for when counting began,
and for the page of notices one each for the notices, their delivery states and their
bounces and complaints.

Rates: a bounce or a failure counts against the deliveries attempted (sent + failed); a
complaint against the mail sent, as mailbox providers count it. Gmail and Yahoo ask bulk
senders to stay under 0.3 % complaints; the page warns from :data:`COMPLAINT_WARNING`.
"""
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import func, select

from ...extensions import db
from ...fanout.counts import state_counts
from ...models import DailyCount, Notification, NotificationCount, utcnow
from ...models.deliverability import DAILY_METRICS
from ..keyset import keyset_page

RANGES = (30, 90)
COMPLAINT_LIMIT = 0.003  # what the big mailbox providers enforce
COMPLAINT_WARNING = 0.002  # warn while there is still room
BOUNCE_WARNING = 0.05  # of one notice's deliveries
WARNING_WINDOW_DAYS = 30


def rate(part, whole):
    return part / whole if whole else 0.0


@dataclass
class Figures:
    """Counts of one day or one notice, with the rates the page shows."""
    label: str
    counts: dict = field(default_factory=lambda: dict.fromkeys(DAILY_METRICS, 0))

    def __getattr__(self, name):
        try:
            return self.__dict__["counts"][name]
        except KeyError:
            raise AttributeError(name) from None

    @property
    def attempted(self):
        return self.counts["sent"] + self.counts["failed"]

    @property
    def failure_rate(self):
        return rate(self.counts["failed"], self.attempted)

    @property
    def bounce_rate(self):
        return rate(self.counts["bounced"], self.attempted)

    @property
    def complaint_rate(self):
        return rate(self.counts["complaint"], self.counts["sent"])


def days(span, today=None):
    """``[Figures]`` for each of the last ``span`` UTC days, oldest first (zeros included)."""
    today = today or utcnow().date()
    first = today - timedelta(days=span - 1)
    found = [Figures(label=(first + timedelta(days=n)).isoformat()) for n in range(span)]
    rows = db.session.execute(
        select(DailyCount.day, DailyCount.metric, func.sum(DailyCount.total))
        .where(DailyCount.day >= first, DailyCount.day <= today)
        .group_by(DailyCount.day, DailyCount.metric))
    for day, metric, total in rows:
        if metric in found[0].counts:
            found[(day - first).days].counts[metric] = int(total)
    return found


def counting_began(today=None):
    """The first counted day, when notices are older than it (so the days between show
    nothing until ``flask backfill-deliverability`` fills them); else None. Two indexed
    MIN lookups in one query, whatever the size of the tables."""
    first_day, first_notice = db.session.execute(select(
        select(func.min(DailyCount.day)).scalar_subquery(),
        select(func.min(Notification.created_at)).scalar_subquery())).one()
    began = first_day or today or utcnow().date()
    if first_notice is not None and first_notice.date() < began:
        return began
    return None


def totals(figures, label="total"):
    summed = Figures(label=label)
    for item in figures:
        for metric, value in item.counts.items():
            summed.counts[metric] += value
    return summed


@dataclass
class NoticeFigures(Figures):
    notification: Notification = None


def notices(per_page, after=None, before=None):
    """A keyset page of recent notices, each as :class:`NoticeFigures`."""
    page = keyset_page(select(Notification), Notification.id, per_page, after, before)
    ids = [n.id for n in page.items]
    states = state_counts(ids)
    events = {notification_id: {} for notification_id in ids}
    if ids:
        for notification_id, metric, total in db.session.execute(
                select(NotificationCount.notification_id, NotificationCount.metric,
                       func.sum(NotificationCount.total))
                .where(NotificationCount.notification_id.in_(ids))
                .group_by(NotificationCount.notification_id, NotificationCount.metric)):
            events[notification_id][metric] = int(total)
    items = []
    for notification in page.items:
        figures = NoticeFigures(label=notification.subject, notification=notification)
        figures.counts.update(sent=states[notification.id]["sent"],
                              failed=states[notification.id]["failed"],
                              bounced=events[notification.id].get("bounced", 0),
                              complaint=events[notification.id].get("complaint", 0))
        items.append(figures)
    page.items = items
    return page


@dataclass
class Warning:
    kind: str
    text: str


def warnings(recent_days, notice_figures):
    """What the operator should act on: complaints nearing the limit, bouncing notices."""
    found = []
    window = totals(recent_days[-WARNING_WINDOW_DAYS:])
    if window.counts["sent"] and window.complaint_rate >= COMPLAINT_WARNING:
        over = window.complaint_rate >= COMPLAINT_LIMIT
        found.append(Warning("complaints", (
            f"Spam complaints are {window.complaint_rate:.2%} of the mail sent in the last "
            f"{WARNING_WINDOW_DAYS} days ({window.complaint:,} of {window.sent:,}): "
            + ("over" if over else "near")
            + " the 0.30 % Gmail and Yahoo allow bulk senders. Mail only people who asked "
              "for it, and keep the unsubscribe link easy to find.")))
    for item in notice_figures:
        if item.attempted and item.bounce_rate > BOUNCE_WARNING:
            found.append(Warning("bounces", (
                f"{item.bounce_rate:.1%} of the deliveries of “{item.label}” bounced "
                f"({item.bounced:,} of {item.attempted:,}), more than "
                f"{BOUNCE_WARNING:.0%}: clean the list of addresses that no longer exist.")))
    return found
