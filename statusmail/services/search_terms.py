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
"""
from flask import g
from sqlalchemy import func, select

from ..extensions import db
from ..models import Subscriber

SAMPLE = 200
COMMON_SHARE = 0.1  # a trigram in more than this share of the sample is common
TRIGRAM = 3


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
    return db.session.scalars(select(Subscriber.email).where(Subscriber.id.in_(ids))).all()


def indexed_parts(term):
    """The substrings of ``term`` (three characters or more) the index should match;
    ``[term]`` when none of its trigrams is uncommon, or the list is too small to say."""
    if len(term) <= TRIGRAM:
        return [term]
    sample = _sample()
    if len(sample) < SAMPLE // 2:
        return [term]
    limit = COMMON_SHARE * len(sample)
    uncommon = [sum(term[i:i + TRIGRAM] in address for address in sample) <= limit
                for i in range(len(term) - TRIGRAM + 1)]
    parts, start = [], None
    for i, keep in enumerate(uncommon + [False]):
        if keep and start is None:
            start = i
        elif not keep and start is not None:
            parts.append(term[start:i - 1 + TRIGRAM])
            start = None
    return parts or [term]
