"""Subscribers an operator adds one at a time (admin form or API), and pending ones they
mark confirmed: each with a line in the subscriber's history saying who did it and, when
no confirmation mail was asked for, the consent they recorded instead.

Double opt-in is the default: the address gets a confirmation mail and hears nothing
until it acts on it. Marking confirmed skips that and so needs a consent note ("asked by
phone 2026-12-01"), kept with the history.
"""
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import Subscriber, SubscriberEvent, utcnow
from . import audit
from .outbox import queue_outbound
from .subscriber_admin import SubscriberActionRefused
from .suppressions import is_suppressed
from .text_validation import text_problem

CONFIRM_CHOICES = ("send", "skip")
CONSENT_NOTE_MAX = 500


class SubscriberExists(SubscriberActionRefused):
    """The address is already on the list (in any state); ``subscriber_id`` says whose."""

    def __init__(self, subscriber):
        super().__init__(f"{subscriber.email} is already a subscriber ({subscriber.status}).")
        self.subscriber_id = subscriber.id


class AddressSuppressed(SubscriberActionRefused):
    def __init__(self, email):
        super().__init__(f"{email} is on the suppression list: it is never mailed again, "
                         "so it cannot be added. Lift the suppression first if that is wrong.")


class ConsentNoteRequired(SubscriberActionRefused):
    def __init__(self):
        super().__init__("Say how this person agreed to receive notices (a consent note, "
                         "e.g. \u201casked by phone 2026-12-01\u201d): it is required to "
                         "mark an address confirmed without a confirmation mail.")


def consent_note_problem(note):
    """Why ``note`` cannot be kept as a consent note, or ``None``."""
    note = (note or "").strip()
    if not note:
        return str(ConsentNoteRequired())
    if len(note) > CONSENT_NOTE_MAX:
        return f"Keep the consent note to {CONSENT_NOTE_MAX} characters."
    return text_problem(note, True)


def _checked_note(note):
    problem = consent_note_problem(note)
    if problem:
        raise ConsentNoteRequired() if not (note or "").strip() else \
            SubscriberActionRefused(problem)
    return note.strip()


def add_subscriber(email, *, confirm, consent_note=None, actor, source="admin"):
    """Add ``email`` (already normalised); ``confirm`` is "send" (a confirmation mail) or
    "skip" (confirmed now, ``consent_note`` required). Returns the new subscriber."""
    if confirm not in CONFIRM_CHOICES:
        raise ValueError(f"confirm must be one of {CONFIRM_CHOICES}")
    note = _checked_note(consent_note) if confirm == "skip" else None
    existing = Subscriber.query.filter_by(email=email).one_or_none()
    if existing is not None:
        raise SubscriberExists(existing)
    if is_suppressed(email):
        raise AddressSuppressed(email)
    now = utcnow()
    subscriber = Subscriber(email=email, source=source, created_at=now,
                            **({"status": "confirmed", "confirmed_at": now} if note else
                               {"status": "pending", "confirmation_sent_at": now}))
    db.session.add(subscriber)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise SubscriberExists(Subscriber.query.filter_by(email=email).one()) from None
    db.session.add(SubscriberEvent(
        subscriber_id=subscriber.id, kind="added", actor=actor, consent_note=note, created_at=now,
        detail="Added and marked confirmed, without a confirmation mail" if note
        else "Added; a confirmation mail was sent"))
    if note:
        db.session.commit()
    else:
        queue_outbound("confirm", email, subscriber_id=subscriber.id)  # commits both
    audit.record("subscriber_added", f"Added {email}" + (
        ", marked confirmed with a consent note" if note else ", confirmation mail sent"),
        subscriber_id=subscriber.id, confirm=confirm)
    return subscriber


def mark_confirmed(subscriber_id, consent_note, *, actor):
    """Confirm a pending subscriber without their mail; returns the address."""
    note = _checked_note(consent_note)
    subscriber = db.session.get(Subscriber, subscriber_id)
    if subscriber is None:
        raise SubscriberActionRefused("That subscriber no longer exists.")
    now = utcnow()
    moved = db.session.execute(
        update(Subscriber).where(Subscriber.id == subscriber_id, Subscriber.status == "pending")
        .values(status="confirmed", confirmed_at=now)
        .execution_options(synchronize_session="fetch")).rowcount
    if not moved:
        db.session.rollback()
        raise SubscriberActionRefused(
            f"{subscriber.email} is {subscriber.status}: only a pending subscriber can be "
            "marked confirmed.")
    db.session.add(SubscriberEvent(subscriber_id=subscriber_id, kind="marked_confirmed",
                                   actor=actor, consent_note=note, created_at=now,
                                   detail="Marked confirmed, without a confirmation mail"))
    db.session.commit()
    audit.record("subscriber_marked_confirmed", f"Marked {subscriber.email} confirmed",
                 subscriber_id=subscriber_id)
    return subscriber.email


@dataclass(frozen=True)
class HistoryEntry:
    at: object
    what: str
    actor: str = None
    consent_note: str = None


def history(subscriber, limit=200):
    """The subscriber's life in time order: the dates on the row and the recorded events
    (the latest ``limit``), one query."""
    events = db.session.scalars(
        select(SubscriberEvent).where(SubscriberEvent.subscriber_id == subscriber.id)
        .order_by(SubscriberEvent.id.desc()).limit(limit)).all()
    entries = [HistoryEntry(subscriber.created_at, f"Subscribed (source: {subscriber.source})")]
    entries += [HistoryEntry(e.created_at, e.detail, e.actor, e.consent_note) for e in events]
    # A confirmation the operator made is already told by its event, at the same instant.
    if subscriber.confirmed_at and not any(e.consent_note and e.created_at == subscriber.confirmed_at
                                           for e in events):
        entries.append(HistoryEntry(subscriber.confirmed_at, "Confirmed"))
    if subscriber.unsubscribed_at:
        entries.append(HistoryEntry(subscriber.unsubscribed_at, "Unsubscribed"))
    return sorted(entries, key=lambda entry: entry.at)
