"""The suppression list: addresses statusmail never mails again, whoever asks.

Every path that sends to a subscriber checks it: the fan-out's audience (suppressing
moves the subscriber out of "confirmed" in the same transaction), each fan-out batch
just before sending (:func:`suppressed_among`, one query per batch), and each one-off
mail (confirmations, manage links) in its job. Signing up again or importing the
address does not bring it back; only an operator's lift does, and even then the
subscriber is not re-subscribed: they stay "unsubscribed" or "bounced" and get mail
again only after signing up and confirming.

How a suppression relates to ``Subscriber.status``: a reason that says the mailbox does
not take our mail (a hard bounce, a block, an SMTP refusal, too many soft bounces)
leaves a pending or confirmed subscriber "bounced"; a person's choice (a spam report, a
provider unsubscribe, "this wasn't me", an operator) leaves them "unsubscribed".
"""
from dataclasses import dataclass

from sqlalchemy import exists, select, update
from sqlalchemy.dialects import postgresql, sqlite

from ..extensions import db
from ..models import Subscriber, utcnow
from ..models.suppressions import (
    ACTIVE, BOUNCE_REASONS, SUPPRESSION_REASONS, SUPPRESSION_SOURCES, Suppression,
)
from .audit import record
from .keyset import keyset_page

PER_PAGE = 50
EMAIL_MAX = 254
DETAIL_MAX = 2000
_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}
_NO_SYNC = {"synchronize_session": False}


class NotSuppressed(LookupError):
    """No active suppression with that id (never there, or lifted already)."""


def normalise(email):
    """The form suppressions are keyed by: trimmed and lower-case (like ``Subscriber.email``)."""
    return (email or "").strip().lower()[:EMAIL_MAX]


def _active(email):
    return (Suppression.email == email) & Suppression.lifted_at.is_(None)


def suppress(email, reason, source, detail=None, notification_id=None, *, commit=True):
    """Never mail ``email`` again; returns ``(suppression, created)``.

    Idempotent: an address already suppressed keeps its first (active) row and reason.
    The subscriber with that address, if any, stops receiving in the same transaction.
    ``commit=False`` leaves the commit to a caller with its own transaction (the ledger).
    """
    if reason not in SUPPRESSION_REASONS or source not in SUPPRESSION_SOURCES:
        raise ValueError(f"unknown suppression reason/source {reason!r}/{source!r}")
    email = normalise(email)
    if not email:
        raise ValueError("an empty address cannot be suppressed")
    detail = detail[:DETAIL_MAX] if detail else None
    now = utcnow()
    subscriber_id = _stop_mail_to(email, reason, detail, now)
    insert = (_INSERTS[db.engine.dialect.name](Suppression)
              .values(email=email, subscriber_id=subscriber_id, reason=reason, source=source,
                      detail=detail, notification_id=notification_id, created_at=now)
              .on_conflict_do_nothing(index_elements=["email"], index_where=db.text(ACTIVE))
              .returning(Suppression.id))
    new_id = db.session.scalar(insert, execution_options=_NO_SYNC)
    row = (db.session.get(Suppression, new_id) if new_id is not None else
           db.session.scalars(select(Suppression).where(_active(email))).one())
    if commit:
        db.session.commit()
    return row, new_id is not None


def _stop_mail_to(email, reason, detail, now):
    """Move the address's subscriber out of pending/confirmed; their id, or ``None``."""
    receiving = Subscriber.status.in_(("pending", "confirmed"))
    if reason in BOUNCE_REASONS:
        values = {"status": "bounced", "last_bounce": detail or SUPPRESSION_REASONS[reason]}
    else:
        values = {"status": "unsubscribed", "unsubscribed_at": now}
    db.session.execute(update(Subscriber).where(Subscriber.email == email, receiving)
                       .values(**values), execution_options=_NO_SYNC)
    return db.session.scalar(select(Subscriber.id).where(Subscriber.email == email))


def is_suppressed(email):
    email = normalise(email)
    return bool(email) and db.session.scalar(select(exists().where(_active(email))))


def suppressed_among(emails):
    """The addresses of ``emails`` that are suppressed: one query for a whole batch."""
    wanted = sorted({normalise(e) for e in emails if e})
    if not wanted:
        return set()
    return set(db.session.scalars(select(Suppression.email).where(
        Suppression.email.in_(wanted), Suppression.lifted_at.is_(None))))


def active_for(email):
    """The active suppression of ``email`` or ``None`` (the admin's subscriber page)."""
    return db.session.scalars(select(Suppression).where(_active(normalise(email)))).first()


@dataclass(frozen=True)
class Lifted:
    suppression: Suppression
    subscriber_status: str | None  # what the subscriber is left as; None: no subscriber

    def describe(self):
        if self.subscriber_status is None:
            return (f"{self.suppression.email} may be mailed again. No subscriber has this "
                    "address; it gets mail only after someone signs it up and confirms.")
        if self.subscriber_status == "confirmed":
            return f"{self.suppression.email} may be mailed again; the subscriber is confirmed."
        return (f"{self.suppression.email} may be mailed again. The subscriber stays "
                f"{self.subscriber_status}: they get notices again only after they sign up "
                "and confirm.")


def lift(suppression_id, by, note=None):
    """End an active suppression (kept, with who and when); raises :class:`NotSuppressed`.

    The subscriber is not re-subscribed: a lift only lets them sign up again.
    """
    now = utcnow()
    lifted = db.session.execute(
        update(Suppression).where(Suppression.id == suppression_id,
                                  Suppression.lifted_at.is_(None))
        .values(lifted_at=now, lifted_by=normalise(by) or None,
                lift_note=note[:DETAIL_MAX] if note else None),
        execution_options=_NO_SYNC)
    if lifted.rowcount != 1:
        db.session.rollback()
        raise NotSuppressed(suppression_id)
    row = db.session.get(Suppression, suppression_id)
    db.session.refresh(row)
    status = db.session.scalar(select(Subscriber.status).where(Subscriber.email == row.email))
    _audit("suppression_lifted", f"Lifted the suppression of {row.email}",
           suppression_id=row.id, email=row.email, reason=row.reason)
    db.session.commit()
    return Lifted(row, status)


def _audit(kind, summary, **detail):
    """An operator's action, in the audit log (``record`` commits with our changes)."""
    record(kind, summary, **detail)


def audit_settings_change(kind, summary):
    """An owner's change of the webhook key: audited (the key itself is public, but who
    set it decides whose events count)."""
    _audit(kind, summary)
    db.session.commit()


def add_by_operator(email, detail, by):
    """An operator's own suppression (``email`` already validated); ``(row, created)``."""
    row, created = suppress(email, "operator", "operator",
                            detail=detail or f"Added by {by}", commit=False)
    if created:
        _audit("suppression_added", f"Suppressed {row.email}", suppression_id=row.id,
               email=row.email)
    db.session.commit()
    return row, created


def suppressions_page(q="", reason=None, source=None, show="active", after=None, before=None):
    """A keyset page of the list, newest first, filtered by address, reason, source and
    whether active or lifted."""
    query = select(Suppression)
    if q:
        query = query.where(Suppression.email.contains(normalise(q), autoescape=True))
    if reason in SUPPRESSION_REASONS:
        query = query.where(Suppression.reason == reason)
    if source in SUPPRESSION_SOURCES:
        query = query.where(Suppression.source == source)
    if show == "active":
        query = query.where(Suppression.lifted_at.is_(None))
    elif show == "lifted":
        query = query.where(Suppression.lifted_at.is_not(None))
    return keyset_page(query, Suppression.id, PER_PAGE, after, before)
