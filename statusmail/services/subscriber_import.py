"""The rules for merging imported addresses into the list (one chunk of them at a time;
services.transfers.importer runs the whole file in one transaction).

Import never makes anyone "more subscribed" than they chose to be: an address that
unsubscribed or bounced here stays that way, and a file's own unsubscribed, bounced or
pending rows keep that status. The operator picks how the rest become subscribers:
a confirmation mail (double opt-in) or confirmed at once on their word that they have
consent.
"""
from sqlalchemy import insert, select, update

from ..extensions import db
from ..models import Component, Subscriber, subscriber_components
from .subscriber_csv_reader import SUPPRESSED
from .timezones import format_local

IMPORT_MODES = ("send_confirmation", "mark_confirmed")
LOOKUP_CHUNK = 500


def existing_subscribers(emails):
    found = {}
    for start in range(0, len(emails), LOOKUP_CHUNK):
        for row in db.session.execute(
                select(Subscriber.id, Subscriber.email, Subscriber.status,
                       Subscriber.unsubscribed_at)
                .where(Subscriber.email.in_(emails[start:start + LOOKUP_CHUNK]))):
            found[row.email] = row
    return found


def suppressed_reason(current):
    if current.status == "bounced":
        return "Bounced here (mail to it failed): not resubscribed."
    when = (f" on {format_local(current.unsubscribed_at, '%Y-%m-%d')}"
            if current.unsubscribed_at else "")
    return f"Unsubscribed here{when}: not resubscribed."


def _new_status(row, mode):
    if row.status in SUPPRESSED or row.status == "pending":
        return row.status
    return "confirmed" if mode == "mark_confirmed" else "pending"


def insert_new(rows, mode, now, added, unknown_components):
    """Bulk-insert the new subscribers and their components, counting them by status in
    ``added``; return the confirmation mails they need (not yet written)."""
    if not rows:
        return []
    values, mailed = [], []
    for row in rows:
        status = _new_status(row, mode)
        wants_mail = status == "pending" and mode == "send_confirmation"
        values.append(_subscriber_values(row, status, now, wants_mail))
        mailed.append(wants_mail)
        added[status] += 1
    # Unordered RETURNING lets the driver batch many rows per statement.
    ids = dict(db.session.execute(
        insert(Subscriber).returning(Subscriber.email, Subscriber.id), values).tuples().all())
    unknown_components.extend(_insert_components(rows, ids))
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


def _insert_components(rows, ids):
    """Link subscribers to the components their line names (matched by name, any case);
    returns the names that match no component."""
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
    return sorted(unknown)


def _unique(links):
    return [dict(pair) for pair in {tuple(link.items()) for link in links}]


def confirm_pending(subscriber_ids, now):
    for start in range(0, len(subscriber_ids), LOOKUP_CHUNK):
        db.session.execute(
            update(Subscriber)
            .where(Subscriber.id.in_(subscriber_ids[start:start + LOOKUP_CHUNK]),
                   Subscriber.status == "pending")
            .values(status="confirmed", confirmed_at=now)
            .execution_options(synchronize_session=False))
