"""SendGrid Event Webhook events: stored once each, and acted on.

What each event does:

- ``bounce`` — ``type`` "bounce" is a hard bounce, "blocked" a block: suppressed;
- ``dropped`` — SendGrid refused to send because the address is on one of *its* lists
  ("Bounced Address", "Unsubscribed Address", "Spam Reporting Address"): suppressed for
  the same reason; other drops (invalid content, say) say nothing about the address;
- ``spamreport`` — suppressed (a complaint; the big inboxes want under 0.3 %);
- ``unsubscribe`` / ``group_unsubscribe`` — unsubscribed at SendGrid: suppressed as a
  provider unsubscribe (the subscriber ends "unsubscribed");
- ``deferred`` — a soft bounce: stored, and the address is suppressed once
  ``SOFT_BOUNCE_LIMIT`` different messages to it were deferred within
  ``SOFT_BOUNCE_DAYS`` (SendGrid itself turns a message deferred for 72 h into a bounce);
- ``processed``, ``delivered``, ``open``, ``click`` — acknowledged and not stored: they
  say the mail works, and a row per mail (or per open) would grow with every notice
  while telling the operator nothing the delivery log does not.

An event names a delivery of ours through the message's ``custom_args``
(``delivery_id``, ``notification_id``, which SendGrid copies into each event); the id is
only believed when that delivery went to the event's address, otherwise the event is
matched by its address alone. The same ``sg_event_id`` twice (SendGrid retries a batch it
thinks failed) is stored and acted on once.
"""
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import distinct, func, select
from sqlalchemy.dialects import postgresql, sqlite

from ...extensions import db
from ...models import Delivery, Notification, ProviderEvent, Subscriber, utcnow
from ..suppressions import normalise, suppress

log = logging.getLogger(__name__)
STORED_EVENTS = frozenset({"bounce", "dropped", "spamreport", "unsubscribe",
                           "group_unsubscribe", "deferred"})
ACKNOWLEDGED_EVENTS = frozenset({"processed", "delivered", "open", "click"})
DROPPED_REASONS = (("bounced address", "hard_bounce"),
                   ("unsubscribed address", "provider_unsubscribe"),
                   ("spam reporting address", "spam_report"))
SOFT_BOUNCE_LIMIT = 5
SOFT_BOUNCE_DAYS = 30
MAX_EVENTS = 10_000
INSERT_CHUNK = 500  # rows per INSERT: well inside both databases' bound-parameter limits  # SendGrid posts batches far smaller than a megabyte holds
_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}
# The largest Unix time we take for a date (year 3000); SendGrid sends seconds.
MAX_TIMESTAMP = 32_503_680_000
MAX_ID = 2**31 - 1


class MalformedBatch(ValueError):
    """Not a JSON array of event objects."""


@dataclass
class Outcome:
    stored: int = 0
    duplicates: int = 0
    acknowledged: int = 0
    ignored: int = 0
    suppressed: int = 0

    def as_json(self):
        return dict(vars(self))


def _text(value, limit):
    """A string the databases can store (PostgreSQL refuses NUL; a lone surrogate has no
    UTF-8), cut to ``limit``; anything else is absent: an address or id with a NUL in it
    names nobody, and must not be "repaired" into someone else's."""
    if not isinstance(value, str) or not value or "\x00" in value:
        return None
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return None
    return value[:limit]


def _row_id(value):
    """A custom arg's id ("123" or 123) or ``None``."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 10:
        value = int(value)
    return value if isinstance(value, int) and 0 < value <= MAX_ID else None


def _occurred_at(value):
    if isinstance(value, bool) or not isinstance(value, (int, float)) \
            or not 0 < value < MAX_TIMESTAMP:
        return None
    return datetime.fromtimestamp(int(value), timezone.utc).replace(tzinfo=None)


def parse(events):
    """Events worth storing, as column dicts; and how many were acknowledged or ignored."""
    if not isinstance(events, list) or len(events) > MAX_EVENTS:
        raise MalformedBatch("The body must be a JSON array of at most "
                             f"{MAX_EVENTS:,} events.")
    rows, outcome, seen = [], Outcome(), set()
    for event in events:
        kind = event.get("event") if isinstance(event, dict) else None
        kind = kind if isinstance(kind, str) else None
        if kind in ACKNOWLEDGED_EVENTS:
            outcome.acknowledged += 1
            continue
        row = _row(event) if kind in STORED_EVENTS else None
        if row is None or row["sg_event_id"] in seen:
            outcome.ignored += row is None
            outcome.duplicates += row is not None
            continue
        seen.add(row["sg_event_id"])
        rows.append(row)
    return rows, outcome


def _row(event):
    sg_event_id, email = _text(event.get("sg_event_id"), 100), normalise(_text(
        event.get("email"), 254))
    occurred_at = _occurred_at(event.get("timestamp"))
    if not (sg_event_id and email and occurred_at):
        return None
    return {"sg_event_id": sg_event_id, "sg_message_id": _text(event.get("sg_message_id"), 255),
            "event": event["event"], "bounce_type": _text(event.get("type"), 32),
            "email": email, "reason": _text(event.get("reason"), 2000),
            "status": _text(str(event["status"]) if isinstance(event.get("status"), (str, int))
                            and not isinstance(event.get("status"), bool) else None, 64),
            "occurred_at": occurred_at,
            "delivery_id": _row_id(event.get("delivery_id")),
            "notification_id": _row_id(event.get("notification_id"))}


def _match_ours(rows):
    """Believe a delivery id only for its own address; fill in subscriber and notice."""
    delivery_ids = sorted({r["delivery_id"] for r in rows if r["delivery_id"]})
    deliveries = {}
    if delivery_ids:
        deliveries = {row.id: row for row in db.session.execute(
            select(Delivery.id, Delivery.notification_id, Delivery.subscriber_id,
                   Subscriber.email)
            .join(Subscriber, Subscriber.id == Delivery.subscriber_id)
            .where(Delivery.id.in_(delivery_ids)))}
    subscribers = dict(db.session.execute(
        select(Subscriber.email, Subscriber.id)
        .where(Subscriber.email.in_(sorted({r["email"] for r in rows})))).all())
    notice_ids = sorted({r["notification_id"] for r in rows if r["notification_id"]})
    notices = set(db.session.scalars(select(Notification.id)
                                     .where(Notification.id.in_(notice_ids)))) if notice_ids \
        else set()
    for row in rows:
        delivery = deliveries.get(row["delivery_id"])
        if delivery is not None and delivery.email == row["email"]:
            row["notification_id"], row["subscriber_id"] = (delivery.notification_id,
                                                            delivery.subscriber_id)
            continue
        row["delivery_id"] = None
        row["subscriber_id"] = subscribers.get(row["email"])
        if row["notification_id"] not in notices:
            row["notification_id"] = None


def record_events(events):
    """Store and act on a verified batch; returns an :class:`Outcome`. One transaction."""
    rows, outcome = parse(events)
    if rows:
        _match_ours(rows)
        received = utcnow()
        for row in rows:
            row["received_at"] = received
        new_ids = set()
        for start in range(0, len(rows), INSERT_CHUNK):
            new_ids.update(db.session.scalars(
                _INSERTS[db.engine.dialect.name](ProviderEvent)
                .values(rows[start:start + INSERT_CHUNK])
                .on_conflict_do_nothing(index_elements=["sg_event_id"])
                .returning(ProviderEvent.sg_event_id),
                execution_options={"synchronize_session": False}))
        fresh = [row for row in rows if row["sg_event_id"] in new_ids]
        outcome.stored, outcome.duplicates = len(fresh), outcome.duplicates + len(rows) - len(fresh)
        for row in fresh:
            outcome.suppressed += _act_on(row)
    db.session.commit()
    return outcome


def _reason_of(row):
    event = row["event"]
    if event == "bounce":
        return "block" if row["bounce_type"] == "blocked" else "hard_bounce"
    if event == "dropped":
        said = (row["reason"] or "").lower()
        return next((reason for phrase, reason in DROPPED_REASONS if phrase in said), None)
    if event == "spamreport":
        return "spam_report"
    if event in ("unsubscribe", "group_unsubscribe"):
        return "provider_unsubscribe"
    if event == "deferred" and _soft_bounces(row["email"]) >= SOFT_BOUNCE_LIMIT:
        return "soft_bounce_limit"
    return None


def _soft_bounces(email):
    """Different messages to ``email`` deferred within the window (SendGrid defers one
    message many times before it gives up; that is one soft bounce, not many)."""
    since = utcnow() - timedelta(days=SOFT_BOUNCE_DAYS)
    return db.session.scalar(
        select(func.count(distinct(func.coalesce(ProviderEvent.sg_message_id,
                                                  ProviderEvent.sg_event_id))))
        .where(ProviderEvent.email == email, ProviderEvent.event == "deferred",
               ProviderEvent.occurred_at >= since))


def _act_on(row):
    reason = _reason_of(row)
    if reason is None:
        return 0
    said = " ".join(part for part in (row["status"], row["reason"]) if part)
    detail = f"SendGrid {row['event']}" + (f" ({row['bounce_type']})" if row["bounce_type"]
                                           and row["event"] == "bounce" else "")
    if reason == "soft_bounce_limit":
        detail = (f"SendGrid deferred {SOFT_BOUNCE_LIMIT} messages within "
                  f"{SOFT_BOUNCE_DAYS} days")
    _, created = suppress(row["email"], reason, "webhook",
                          detail=f"{detail}: {said}" if said else detail,
                          notification_id=row["notification_id"], commit=False)
    return int(created)
