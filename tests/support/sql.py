"""Counting what the app asks of the database: work that must not grow with a list."""
from contextlib import contextmanager

from sqlalchemy import event

from statusmail.extensions import db


@contextmanager
def counting_statements(app):
    """Count the SQL statements the app runs, by their first word."""
    counts = {}

    def count(conn, cursor, statement, parameters, context, executemany):
        verb = statement.lstrip().split(None, 1)[0].upper()
        if verb == "EXECUTE":  # on PostgreSQL the recorder runs its UPDATE prepared
            verb = "UPDATE"
        counts[verb] = counts.get(verb, 0) + 1

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield counts
    finally:
        event.remove(engine, "before_cursor_execute", count)


@contextmanager
def recording_statements(app):
    """The SQL statements the app runs, in order (for what they read, not only how many)."""
    statements = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(" ".join(statement.split()))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)
