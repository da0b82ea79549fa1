"""Subscribers as CSV: the columns, how a cell is written and read back, and the export.

Export and import agree on the columns, so an export imports back as the same list.
"""
import csv
import io
from datetime import datetime, timezone

from sqlalchemy import select

from ..extensions import db
from ..models import Component, Subscriber, subscriber_components
from .subscriber_admin import subscriber_filters

EXPORT_COLUMNS = (
    "email", "status", "source", "created_at", "confirmed_at", "unsubscribed_at",
    "all_components", "components", "notify_incidents", "notify_maintenance",
    "notify_component_changes",
)
DATE_COLUMNS = ("created_at", "confirmed_at", "unsubscribed_at")
FLAG_COLUMNS = ("all_components", "notify_incidents", "notify_maintenance",
                "notify_component_changes")
# A spreadsheet runs a cell starting with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
TRUE_WORDS, FALSE_WORDS = ("true", "yes", "y", "1"), ("false", "no", "n", "0")
EXPORT_CHUNK = 1000


def neutralise(cell):
    """Make a spreadsheet show the cell as text instead of running it."""
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def restore(cell):
    """Undo :func:`neutralise`, so an exported file imports back unchanged."""
    return cell[1:] if cell.startswith("'") and cell[1:].startswith(FORMULA_STARTS) else cell


def format_date(value):
    """ISO 8601 in UTC, e.g. 2024-05-01T09:30:00Z."""
    if value is None:
        return ""
    return value.replace(tzinfo=timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def parse_date(column, text):
    """Naive UTC from ISO 8601 (no zone means UTC); None for an empty cell."""
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{column} “{text}” is not an ISO 8601 date "
                         "(like 2024-05-01T09:30:00Z).") from None
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    return value


def parse_flag(column, text):
    """True/False from the usual spellings; None for an empty cell (the default applies)."""
    word = text.strip().lower()
    if not word:
        return None
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError(f"{column} “{text}” must be true or false.")


def export_rows(status="all", search=""):
    """The header, then one row per matching subscriber, read a chunk at a time by id
    (keyset pagination: memory stays flat however many subscribers there are)."""
    yield list(EXPORT_COLUMNS)
    columns = [getattr(Subscriber, name) for name in EXPORT_COLUMNS if name != "components"]
    filters = subscriber_filters(status, search)
    last_id = 0
    while True:
        batch = db.session.execute(
            select(Subscriber.id, *columns).where(*filters, Subscriber.id > last_id)
            .order_by(Subscriber.id).limit(EXPORT_CHUNK)).all()
        if not batch:
            return
        names = _component_names([row.id for row in batch if not row.all_components])
        for row in batch:
            yield [neutralise(_cell(row, name, names)) for name in EXPORT_COLUMNS]
        last_id = batch[-1].id


def export_csv(status="all", search="", rows_per_chunk=500):
    """The export as text chunks for a streamed response."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for count, row in enumerate(export_rows(status, search), 1):
        writer.writerow(row)
        if count % rows_per_chunk == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def _component_names(subscriber_ids):
    names = {}
    if subscriber_ids:
        for subscriber_id, name in db.session.execute(
                select(subscriber_components.c.subscriber_id, Component.name)
                .join(Component, Component.id == subscriber_components.c.component_id)
                .where(subscriber_components.c.subscriber_id.in_(subscriber_ids))
                .order_by(Component.position, Component.name)):
            names.setdefault(subscriber_id, []).append(name)
    return names


def _cell(row, name, component_names):
    if name == "components":
        return ";".join(component_names.get(row.id, []))
    value = getattr(row, name)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return format_date(value)
    return value or ""
