"""What must hold in the database whatever was posted: read from the schema, so a new
table or column is checked too.

- no row points at a row that is gone (every foreign key, whatever the database enforces);
- text fits its column (SQLite does not enforce ``VARCHAR(n)``; PostgreSQL would fail);
- no NUL or control character in stored text — none at all in a one-line column
  (``VARCHAR``), only tab and line breaks in ``TEXT`` and inside JSON snapshots;
- a notification never has more deliveries than its ``total`` (fewer once subscribers
  are deleted, with their deliveries);
- component names are unique once normalised (the ``name_key`` column holds that form).
"""
import unicodedata

import sqlalchemy as sa

MULTI_LINE_OK = frozenset("\t\n\r")


def _bad_characters(value, multi_line):
    allowed = MULTI_LINE_OK if multi_line else frozenset()
    return sorted({repr(char) for char in value
                   if unicodedata.category(char) in ("Cc", "Cs") and char not in allowed})


def _strings_in(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings_in(key)
            yield from _strings_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings_in(item)


def _column_problems(table, rows):
    for column in table.columns:
        is_json = isinstance(column.type, sa.JSON)
        if not (is_json or isinstance(column.type, sa.String)):
            continue
        multi_line = is_json or isinstance(column.type, sa.Text)
        limit = None if multi_line else column.type.length
        for row in rows:
            value = row[column.name]
            for text in _strings_in(value):
                bad = _bad_characters(text, multi_line)
                if bad:
                    yield f"{table.name}.{column.name} (row {row.get('id')}) holds {bad}"
            if limit and isinstance(value, str) and len(value) > limit:
                yield (f"{table.name}.{column.name} (row {row.get('id')}) is {len(value)} "
                       f"characters, over its {limit}")


def _orphans(connection, table):
    for key in table.foreign_keys:
        child, parent = key.parent, key.column
        orphan = sa.select(sa.func.count()).select_from(table).where(
            child.isnot(None),
            ~sa.exists().where(parent == child))
        count = connection.execute(orphan).scalar()
        if count:
            yield f"{count} row(s) of {table.name}.{child.name} point at a missing {parent}"


def problems(app):
    from statusmail.extensions import db
    from statusmail.models import Component, Delivery, Notification
    from statusmail.models.status import name_key
    found = []
    with app.app_context():
        with db.engine.connect() as connection:
            for table in db.metadata.sorted_tables:
                rows = connection.execute(sa.select(table)).mappings().all()
                found += _column_problems(table, rows)
                found += _orphans(connection, table)
            counted = connection.execute(
                sa.select(Notification.id, Notification.total, sa.func.count(Delivery.id))
                .outerjoin(Delivery, Delivery.notification_id == Notification.id)
                .group_by(Notification.id, Notification.total)).all()
            found += [f"notification {nid} says {total} deliveries but has {count}"
                      for nid, total, count in counted if count > total]
            keys = {}
            for cid, name, key in connection.execute(
                    sa.select(Component.id, Component.name, Component.name_key)):
                if key != name_key(name):
                    found.append(f"component {cid} name_key {key!r} is not that of {name!r}")
                if key in keys:
                    found.append(f"components {keys[key]} and {cid} share the name {name!r}")
                keys[key] = cid
    return found
