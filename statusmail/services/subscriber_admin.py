"""What the admin does to subscribers one at a time: find, inspect, remove, re-confirm,
invalidate their links."""
from dataclasses import dataclass

from sqlalchemy import and_, column, delete, func, select, table

from ..extensions import db
from ..models import (
    Delivery, Notification, OutboundMail, Subscriber, SubscriberEvent, SubscriberStatusCount,
    subscriber_components, utcnow,
)
from ..models.search import SEARCH_TABLE
from ..models.subscribers import SUBSCRIBER_STATUSES
from . import audit
from .keyset import keyset_page
from .search_terms import indexed_parts, newest_first_is_short
from .outbox import queue_outbound
from .subscriptions import reset_links

STATUS_FILTERS = ("all",) + SUBSCRIBER_STATUSES
HISTORY_LIMIT = 200
SEARCH_COUNT_CAP = 1000
MIN_INDEXED_TERM = 3  # trigrams: shorter terms cannot use the index
_SEARCH = table(SEARCH_TABLE, column("rowid"), column(SEARCH_TABLE))


class SubscriberActionRefused(Exception):
    """The action does not apply to this subscriber; the message says why."""


def subscriber_filters(status="all", search=""):
    """WHERE clauses for the list filters, shared by the list and the CSV export.

    The search is a case-insensitive substring match in which % and _ mean themselves;
    it goes through each database's search index (:mod:`statusmail.models.search`).
    """
    clauses = []
    if status in SUBSCRIBER_STATUSES:
        clauses.append(Subscriber.status == status)
    search = (search or "").strip()
    if search:
        clauses.append(search_clause(search))
    return clauses


def _like(term):
    escaped = term.replace("/", "//").replace("%", "/%").replace("_", "/_")
    return Subscriber.email.like(f"%{escaped}%", escape="/")


def _uses_fts(term):
    return db.engine.dialect.name == "sqlite" and len(term) >= MIN_INDEXED_TERM


def _fts_match(parts):
    """MATCH each part as a phrase (FTS5 ANDs them)."""
    return _SEARCH.c[SEARCH_TABLE].op("MATCH")(
        " ".join('"' + part.replace('"', '""') + '"' for part in parts))


def search_clause(search):
    """Addresses are stored lower-case, so the lowered term matches any case.

    The index finds candidates by the term's uncommon parts (:func:`indexed_parts`),
    and an exact substring test keeps the meaning. PostgreSQL's trigram index serves a
    LIKE (the exact test is ``strpos``, which it cannot serve, so that the index is
    not asked for the common trigrams after all). On SQLite the FTS5 trigram table
    finds the candidates (it needs three characters; shorter terms scan).
    """
    term = search.lower()
    if db.engine.dialect.name == "postgresql":
        if len(term) < MIN_INDEXED_TERM:
            return _like(term)
        return and_(*(_like(part) for part in indexed_parts(term)),
                    func.strpos(Subscriber.email, term) > 0)
    if not _uses_fts(term):
        return _like(term)
    candidates = select(_SEARCH.c.rowid).where(_fts_match(indexed_parts(term)))
    return and_(Subscriber.id.in_(candidates), _like(term))


def _searched(columns, status, search, wanted, after=None, before=None):
    """``(SELECT columns … matching, the id column to page by)`` for a page (or count)
    of ``wanted`` rows.

    On SQLite the FTS5 table leads the join and hands over its matches newest first, so
    a page (or the capped count) stops after the rows it needs, whether the term
    matches ten addresses or a million. PostgreSQL picks between walking the primary key
    and sorting what the trigram index found, see :func:`_order_column`.
    """
    term = (search or "").strip().lower()
    if not term or not _uses_fts(term):
        return (select(*columns).where(*subscriber_filters(status, search)),
                _order_column(term, status, wanted, after, before))
    query = (select(*columns).select_from(_SEARCH)
             .join(Subscriber, Subscriber.id == _SEARCH.c.rowid)
             .where(_fts_match(indexed_parts(term)), _like(term),
                    *subscriber_filters(status, "")))
    return query, _SEARCH.c.rowid


def _order_column(term, status, wanted, after, before):
    """What to order a PostgreSQL search by: the id, or ``id + 0`` when a walk of the
    primary key would read far before it found ``wanted`` matches (old matches of a
    term with only common trigrams: ``user1``). The planner cannot walk an index for
    ``id + 0``, so it finds the matches through the trigram index and sorts them."""
    if (term and db.engine.dialect.name == "postgresql" and len(term) >= MIN_INDEXED_TERM
            and not newest_first_is_short(term, status, wanted, after, before)):
        return Subscriber.id + 0
    return Subscriber.id


def subscribers_page(status, search, per_page, after=None, before=None):
    query, order_column = _searched([Subscriber], status, search, per_page + 1, after, before)
    return keyset_page(query, order_column, per_page, after, before)


@dataclass
class StatusCounts:
    """Subscribers per status (and "all"); ``capped`` when a search found more than
    ``SEARCH_COUNT_CAP`` and the figures count only that many."""
    counts: dict
    capped: bool = False

    def __getitem__(self, status):
        return self.counts[status]

    def label(self, status):
        """"1000+" for all when capped; a status's figure then means "at least"."""
        if not self.capped:
            return str(self.counts[status])
        return f"{SEARCH_COUNT_CAP}+" if status == "all" else f"{self.counts[status]}+"


def status_counts(search=""):
    """Without a search, from the maintained counts (a few rows); with one, counted over
    at most ``SEARCH_COUNT_CAP`` + 1 matches, so a search that matches a million
    addresses costs no more than one that matches a thousand."""
    counts = dict.fromkeys(SUBSCRIBER_STATUSES, 0)
    capped = False
    if (search or "").strip():
        query, order_column = _searched([Subscriber.status], "all", search,
                                        SEARCH_COUNT_CAP + 1)
        sample = query.order_by(order_column.desc()).limit(SEARCH_COUNT_CAP + 1).subquery()
        counts.update(db.session.execute(
            select(sample.c.status, func.count()).group_by(sample.c.status)).tuples().all())
        capped = sum(counts.values()) > SEARCH_COUNT_CAP
    else:
        counts.update((status, int(total)) for status, total in db.session.execute(
            select(SubscriberStatusCount.status, SubscriberStatusCount.total)).tuples()
            if status in counts)
    counts["all"] = sum(counts.values())
    return StatusCounts(counts, capped)


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
    db.session.execute(delete(SubscriberEvent).where(SubscriberEvent.subscriber_id == subscriber_id))
    db.session.execute(delete(subscriber_components)
                       .where(subscriber_components.c.subscriber_id == subscriber_id))
    db.session.delete(subscriber)
    db.session.commit()
    # The id only: a removal may be someone's erasure request, the address must go.
    audit.record("subscriber_removed", f"Subscriber #{subscriber_id} removed",
                 subscriber_id=subscriber_id)
    return email


def invalidate_links(subscriber_id):
    """Replace the subscriber's link key, so no link mailed so far works; return the address.

    For a link that leaked (a forwarded notice, say): the next mail carries new links.
    """
    email = reset_links(subscriber_id)
    if email is None:
        raise SubscriberActionRefused("That subscriber no longer exists.")
    audit.record("subscriber_links_invalidated",
                 f"Links of subscriber #{subscriber_id} invalidated", subscriber_id=subscriber_id)
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
    audit.record("subscriber_confirmation_resent",
                 f"Confirmation mail sent again to subscriber #{subscriber_id}",
                 subscriber_id=subscriber_id)
    return subscriber.email
