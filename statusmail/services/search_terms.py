"""Which parts of a search term to ask the trigram index for.

Both search indexes (:mod:`statusmail.models.search`) answer a substring query by
reading the list of addresses holding each trigram of the term, and intersecting them.
A trigram that most addresses share (``use`` of ``user…``, ``exa`` of ``@example.org``)
has a list as long as the subscriber list itself: asked for ``user4242`` at 1M
subscribers, PostgreSQL read about 1,000 index pages to find 112 addresses, and the
search grew with the list although its answer did not.

So the index is asked only for the term's runs of *uncommon* trigrams, and an exact
substring test on the candidates keeps the meaning. What is common is read from the list
itself: a sample of addresses at evenly spaced ids (primary-key lookups, the same cost
at any size). A term whose trigrams are all common is asked for whole: it matches most
of the list, and the newest-first page stops after a page of it.

That last holds only when the term's matches include recent addresses. ``user1`` among a
million ``userN@…`` has all-common trigrams and 111,112 matches, but the newest of them
after the first few are 800,000 ids down: PostgreSQL walked the primary key past every
address in between (about 1 s). :func:`newest_first_is_short` reads the same sample to
say whether a newest-first walk would fill the page soon; when it would not, the search
is ordered so that the index finds the matches first and they are sorted after.
"""
from flask import g
from sqlalchemy import func, select

from ..extensions import db
from ..models import Subscriber

SAMPLE = 200
COMMON_SHARE = 0.1  # a trigram in more than this share of the sample is common
TRIGRAM = 3
# A newest-first walk of this many addresses is cheap whatever the index would give.
WALK_BUDGET = 20_000


def _sample():
    """Addresses at evenly spaced ids; once per request (a page searches twice)."""
    if "search_sample" not in g:
        g.search_sample = _read_sample()
    return g.search_sample


def _read_sample():
    # Two subqueries: SQLite reads min() or max() off the index only when it is alone.
    low, high = db.session.execute(select(
        select(func.min(Subscriber.id)).scalar_subquery(),
        select(func.max(Subscriber.id)).scalar_subquery())).one()
    if low is None:
        return []
    step = max(1, (high - low) // SAMPLE)
    ids = list(range(low, high + 1, step))[:SAMPLE + 1]
    return db.session.execute(
        select(Subscriber.id, Subscriber.email, Subscriber.status)
        .where(Subscriber.id.in_(ids)).order_by(Subscriber.id)).tuples().all()


def newest_first_is_short(term, status, wanted, after=None, before=None):
    """Should a page (or count) of ``wanted`` rows walk the ids in order (newest first
    below ``after``; oldest first above ``before``) rather than sort what the trigram
    index finds for ``term``?

    Judged by the sample, each address in it standing for the ids up to the next one:
    the walk reads up to the ``wanted``-th match of ``term`` and ``status`` (unless
    "all"); the index hands over every address holding ``term``, whatever its status.
    The walk wins when it reads no more than those, or no more than
    :data:`WALK_BUDGET` addresses.
    """
    sample = _sample()
    if len(sample) < 2:
        return True
    stands_for = max(1, (sample[-1][0] - sample[0][0]) // (len(sample) - 1))
    walk = None
    walked = found = candidates = 0
    ascending = before is not None and after is None
    for subscriber_id, address, subscriber_status in (sample if ascending else reversed(sample)):
        holds_term = term in address
        candidates += stands_for if holds_term else 0
        if walk is not None or ((subscriber_id <= before) if ascending else (
                after is not None and subscriber_id >= after)):
            continue
        walked += stands_for
        if holds_term and status in ("all", subscriber_status):
            found += stands_for
            if found >= wanted:
                walk = walked
    return (walk if walk is not None else walked) <= max(WALK_BUDGET, candidates)


def indexed_parts(term):
    """The substrings of ``term`` (three characters or more) the index should match;
    ``[term]`` when none of its trigrams is uncommon, or the list is too small to say."""
    if len(term) <= TRIGRAM:
        return [term]
    sample = _sample()
    if len(sample) < SAMPLE // 2:
        return [term]
    limit = COMMON_SHARE * len(sample)
    uncommon = [sum(term[i:i + TRIGRAM] in address for _, address, _ in sample) <= limit
                for i in range(len(term) - TRIGRAM + 1)]
    parts, start = [], None
    for i, keep in enumerate(uncommon + [False]):
        if keep and start is None:
            start = i
        elif not keep and start is not None:
            parts.append(term[start:i - 1 + TRIGRAM])
            start = None
    return parts or [term]
