"""Keyset paging: newest first, "older" and "newer" links, no COUNT and no OFFSET.

``OFFSET n`` reads and throws away n rows, and a page count needs ``COUNT(*)`` over the
whole selection: both grow with the list. A keyset page starts after (or before) the id
at the edge of the page the operator came from and reads one page (plus one row to know
whether there is more) through the primary key, whatever the page's depth.
"""
from dataclasses import dataclass

from flask import request

from ..extensions import db


@dataclass
class KeysetPage:
    items: list
    older: int | None  # ?after= for the next (older) page, None on the last page
    newer: int | None  # ?before= for the previous (newer) page, None on the first page

    @property
    def paged(self):
        return self.older is not None or self.newer is not None


def cursor_args(prefix=""):
    """``(after, before)`` from the query string; nonsense reads as "the first page".

    ``prefix`` names a second list's cursor on the same page (``waiting_after``…)."""
    after = request.args.get(prefix + "after", type=int)
    before = request.args.get(prefix + "before", type=int)
    valid = lambda value: value if value is not None and 0 < value < 2**63 else None  # noqa: E731
    return valid(after), valid(before)


def keyset_page(query, id_column, per_page, after=None, before=None, scalars=True):
    """One page of ``query`` (a SELECT without ORDER BY), newest (highest id) first."""
    run = db.session.scalars if scalars else db.session.execute
    key = (lambda item: item.id) if scalars else (lambda row: row[0].id)
    if before is not None and after is None:
        rows = run(query.where(id_column > before).order_by(id_column.asc())
                   .limit(per_page + 1)).all()
        items = list(reversed(rows[:per_page]))
        return KeysetPage(items, older=key(items[-1]) if items else None,
                          newer=key(items[0]) if len(rows) > per_page else None)
    if after is not None:
        query = query.where(id_column < after)
    rows = run(query.order_by(id_column.desc()).limit(per_page + 1)).all()
    items = rows[:per_page]
    return KeysetPage(items, older=key(items[-1]) if len(rows) > per_page else None,
                      newer=key(items[0]) if after is not None and items else None)
