"""Writing an import's readable lines into its staging rows, a chunk at a time.

On PostgreSQL a chunk goes in with one ``COPY … FROM STDIN`` (the stdlib ``csv`` writer
encodes it, PostgreSQL's CSV reader decodes it): several times faster than an
INSERT of the same rows, which costs the server a statement's work per row. SQLite's
executemany is already cheap (no network, one prepared statement), so it keeps it.
Every chunk is committed: the reading phase holds neither a transaction nor, on SQLite,
the write lock for the length of the file.
"""
import csv
import io

from sqlalchemy import insert

from ...extensions import db
from ...models import SubscriberImportRow
from ...models.subscribers import new_link_key

_rows = SubscriberImportRow.__table__
COLUMNS = ("transfer_id", "line", "email", "status", "created_at", "confirmed_at",
           "unsubscribed_at", "all_components", "notify_incidents", "notify_maintenance",
           "notify_component_changes", "components", "link_key")
_DATES = ("created_at", "confirmed_at", "unsubscribed_at")
_FLAGS = ("all_components", "notify_incidents", "notify_maintenance",
          "notify_component_changes")
# An unquoted empty field is NULL in PostgreSQL's CSV format; the csv module writes None
# that way. (An empty components cell becomes NULL too, which the merge reads alike.)
_COPY = (f"COPY {_rows.name} ({', '.join(COLUMNS)}) FROM STDIN "
         "WITH (FORMAT csv, DELIMITER ',', QUOTE '\"')")


def staging_values(transfer_id, row):
    """One line of the file as a tuple in ``COLUMNS`` order."""
    dates, flags = row.dates, row.flags
    return (transfer_id, row.line, row.email, row.status,
            *(dates[name] for name in _DATES), *(flags[name] for name in _FLAGS),
            None if row.components is None else ";".join(row.components), new_link_key())


def write_chunk(values):
    """Store and commit one chunk of ``staging_values`` tuples; empties the list."""
    if not values:
        return
    if db.session.get_bind().dialect.name == "postgresql":
        _copy(values)
    else:
        db.session.execute(insert(_rows), [dict(zip(COLUMNS, row)) for row in values])
    db.session.commit()
    values.clear()


def _copy(values):
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(values)
    buffer.seek(0)
    # The session's own connection (and transaction), so the commit covers the COPY.
    cursor = db.session.connection().connection.dbapi_connection.cursor()
    try:
        cursor.copy_expert(_COPY, buffer)
    finally:
        cursor.close()
