"""Merging an uploaded subscriber file into the list, in one transaction.

Import never makes anyone "more subscribed" than they chose to be: an address that
unsubscribed or bounced here stays that way, and a file's own unsubscribed, bounced or
pending rows keep that status. The operator picks how the rest become subscribers:
a confirmation mail (double opt-in) or confirmed at once on their word that they have
consent.
"""
from dataclasses import dataclass, field

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import Component, Subscriber, subscriber_components, utcnow
from .outbox import queue_outbound_many
from .subscriber_csv_reader import SUPPRESSED, ImportFileError, LineProblem, parse_upload
from .timezones import format_local

IMPORT_MODES = ("send_confirmation", "mark_confirmed")
LOOKUP_CHUNK = 500


@dataclass
class ImportResult:
    added: dict = field(default_factory=lambda: {"pending": 0, "confirmed": 0, "unsubscribed": 0,
                                                 "bounced": 0})
    already_there: int = 0
    confirmed: int = 0  # pending here before, confirmed by this import
    confirmations_queued: int = 0
    skipped: list = field(default_factory=list)  # LineProblem: not resubscribed
    errors: list = field(default_factory=list)  # LineProblem: unreadable lines
    duplicate_lines: list = field(default_factory=list)
    unknown_components: list = field(default_factory=list)
    has_header: bool = False

    @property
    def added_total(self):
        return sum(self.added.values())


def import_subscribers(data, mode):
    """Parse ``data`` (the uploaded bytes) and merge it; raise ImportFileError, with
    nothing written, if the file cannot be used as a whole."""
    if mode not in IMPORT_MODES:
        raise ValueError(f"unknown import mode {mode!r}")
    parsed = parse_upload(data)
    result = ImportResult(errors=parsed.errors, duplicate_lines=parsed.duplicate_lines,
                          has_header=parsed.has_header)
    existing = _existing_subscribers([row.email for row in parsed.rows])
    now = utcnow()
    new_rows, confirm_ids = [], []
    for row in parsed.rows:
        current = existing.get(row.email)
        if current is None:
            new_rows.append(row)
        elif current.status in SUPPRESSED:
            result.skipped.append(LineProblem(row.line, row.email, _suppressed_reason(current)))
        elif current.status == "pending" and mode == "mark_confirmed" and row.status in (
                None, "confirmed"):
            confirm_ids.append(current.id)
        else:
            result.already_there += 1
    try:
        mails = _insert_new(new_rows, mode, now, result)
        _confirm_pending(confirm_ids, now)
        result.confirmed = len(confirm_ids)
        queue_outbound_many("confirm", mails)  # the one commit
    except IntegrityError:
        db.session.rollback()
        raise ImportFileError("Some of these addresses subscribed while the file was being "
                              "imported, so nothing was imported. Upload the file again.") from None
    result.confirmations_queued = len(mails)
    return result


def _existing_subscribers(emails):
    found = {}
    for start in range(0, len(emails), LOOKUP_CHUNK):
        for row in db.session.execute(
                select(Subscriber.id, Subscriber.email, Subscriber.status,
                       Subscriber.unsubscribed_at)
                .where(Subscriber.email.in_(emails[start:start + LOOKUP_CHUNK]))):
            found[row.email] = row
    return found


def _suppressed_reason(current):
    if current.status == "bounced":
        return "Bounced here (mail to it failed): not resubscribed."
    when = (f" on {format_local(current.unsubscribed_at, '%Y-%m-%d')}"
            if current.unsubscribed_at else "")
    return f"Unsubscribed here{when}: not resubscribed."


def _new_status(row, mode):
    if row.status in SUPPRESSED or row.status == "pending":
        return row.status
    return "confirmed" if mode == "mark_confirmed" else "pending"


def _insert_new(rows, mode, now, result):
    """Bulk-insert the new subscribers and their components; return the confirmation
    mails they need (not yet written)."""
    if not rows:
        return []
    values, mailed = [], []
    for row in rows:
        status = _new_status(row, mode)
        wants_mail = status == "pending" and mode == "send_confirmation"
        values.append(_subscriber_values(row, status, now, wants_mail))
        mailed.append(wants_mail)
        result.added[status] += 1
    # Unordered RETURNING lets the driver batch many rows per statement.
    ids = dict(db.session.execute(
        insert(Subscriber).returning(Subscriber.email, Subscriber.id), values).tuples().all())
    _insert_components(rows, ids, result)
    return [{"recipient": row.email, "subscriber_id": ids[row.email]}
            for row, wants_mail in zip(rows, mailed) if wants_mail]


def _subscriber_values(row, status, now, wants_mail):
    dates, flags = row.dates, row.flags
    all_components = flags["all_components"]
    if all_components is None:
        all_components = not row.components
    return {
        "email": row.email, "status": status, "source": "import",
        "created_at": dates["created_at"] or now,
        "confirmed_at": (dates["confirmed_at"] or now) if status == "confirmed"
        else dates["confirmed_at"] if status in SUPPRESSED else None,
        "unsubscribed_at": (dates["unsubscribed_at"] or now) if status == "unsubscribed"
        else dates["unsubscribed_at"] if status == "bounced" else None,
        "confirmation_sent_at": now if wants_mail else None,
        "last_bounce": "Marked as bounced in an imported file." if status == "bounced" else None,
        "all_components": all_components,
        **{name: True if value is None else value
           for name, value in flags.items() if name != "all_components"},
    }


def _insert_components(rows, ids, result):
    """Link subscribers to the components their line names (matched by name, any case)."""
    by_name = {name.lower(): component_id for component_id, name in
               db.session.execute(select(Component.id, Component.name))}
    links, unknown = [], set()
    for row in rows:
        subscriber_id = ids[row.email]
        for name in row.components or ():
            component_id = by_name.get(name.lower())
            if component_id is None:
                unknown.add(name)
            else:
                links.append({"subscriber_id": subscriber_id, "component_id": component_id})
    if links:
        db.session.execute(insert(subscriber_components), _unique(links))
    result.unknown_components = sorted(unknown)


def _unique(links):
    return [dict(pair) for pair in {tuple(link.items()) for link in links}]


def _confirm_pending(subscriber_ids, now):
    for start in range(0, len(subscriber_ids), LOOKUP_CHUNK):
        db.session.execute(
            update(Subscriber)
            .where(Subscriber.id.in_(subscriber_ids[start:start + LOOKUP_CHUNK]),
                   Subscriber.status == "pending")
            .values(status="confirmed", confirmed_at=now)
            .execution_options(synchronize_session=False))
