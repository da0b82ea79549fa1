"""Recording accepted messages: the one write made for every message, so it is cheap.

Each outcome is committed as soon as the server accepts the message, before the next
one is sent. Through the SMTP and API transports the write goes over a connection of
its own in autocommit mode (one round trip), and the database is told not to wait for
its disk flush (PostgreSQL ``synchronous_commit = off``, SQLite ``synchronous =
NORMAL``): the commit still reaches the database before the next message goes out, so
a crashed or killed worker loses nothing, which is what keeps a message from being sent
twice; only a crash of the database server itself could drop the last fraction of a
second of outcomes. The capture transport stores its copy in the session, so there the
outcome commits with it, in the same transaction.

On PostgreSQL the UPDATE is prepared once per batch and executed per message: parsing
and planning it every time cost the server about as much as the update itself, and
SQLAlchemy's per-statement work as much again in the worker. A prepared statement, like
``synchronous_commit``, lives in the database session, so the recorder needs a real
session (not a transaction-pooling proxy) and clears both before handing it back. On
SQLite the same UPDATE goes out as plain SQL (``exec_driver_sql``), which skips the
statement compiler's cache lookup and parameter processing: about 40 % of the write's
cost in the worker. Its timestamps are formatted by the column type's own bind
processor, so they read back exactly as the ORM writes them.
"""
from sqlalchemy import bindparam, case, update
from sqlalchemy.exc import SQLAlchemyError

from ..extensions import db
from ..models import Delivery, Notification, utcnow

_deliveries, _notifications = Delivery.__table__, Notification.__table__
# Built once: a Core statement with bound parameters skips the ORM's per-call work.
_MARK_SENT = (update(_deliveries).where(_deliveries.c.id == bindparam("delivery_id"))
              .values(state="sent", sent_at=bindparam("now"), smtp_code=bindparam("code"),
                      smtp_response=bindparam("reply"), message_id=bindparam("message_id"),
                      lease_expires_at=None, next_attempt_at=None, updated_at=bindparam("now")))
_FIRST_SENT = (update(_notifications)
               .where(_notifications.c.id == bindparam("notification_id"),
                      _notifications.c.first_sent_at.is_(None))
               .values(first_sent_at=bindparam("now")))

# The same UPDATE as _MARK_SENT, prepared on the server (PostgreSQL only).
_PREPARE_MARK_SENT = (
    "PREPARE statusmail_mark_sent (timestamp, integer, text, varchar, integer) AS "
    "UPDATE deliveries SET state = 'sent', sent_at = $1, updated_at = $1, smtp_code = $2, "
    "smtp_response = $3, message_id = $4, lease_expires_at = NULL, next_attempt_at = NULL "
    "WHERE id = $5")
_EXECUTE_MARK_SENT = ("EXECUTE statusmail_mark_sent "
                      "(%(now)s, %(code)s, %(reply)s, %(message_id)s, %(delivery_id)s)")
_POSTGRESQL_SETUP = ("SET synchronous_commit TO OFF", _PREPARE_MARK_SENT)
# The same UPDATE again as SQLite takes it (qmark parameters).
_SQLITE_MARK_SENT = (
    "UPDATE deliveries SET state = 'sent', sent_at = ?, updated_at = ?, smtp_code = ?, "
    "smtp_response = ?, message_id = ?, lease_expires_at = NULL, next_attempt_at = NULL "
    "WHERE id = ?")
_POSTGRESQL_CLEANUP = ("DEALLOCATE statusmail_mark_sent", "RESET synchronous_commit")


class SentRecorder:
    """Context manager; ``record`` commits one accepted message."""

    def __init__(self, own_connection):
        self.own_connection = own_connection
        self.connection = None
        self.prepared = False
        self.sqlite_timestamp = None  # the bind processor of a timestamp, on SQLite
        self.cleanup = ()

    def __enter__(self):
        if self.own_connection:
            self.connection = db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            try:
                self._configure_session(self.connection.dialect.name)
            except SQLAlchemyError:
                self.connection.invalidate()
                self.connection.close()
                self.connection = None
                raise
        return self

    def _configure_session(self, dialect):
        """Stop waiting for the disk flush (and prepare the UPDATE); note how to undo it."""
        setup = ()
        if dialect == "postgresql":
            setup, self.cleanup = _POSTGRESQL_SETUP, _POSTGRESQL_CLEANUP
            self.prepared = True
        elif dialect == "sqlite":
            previous = int(self.connection.exec_driver_sql("PRAGMA synchronous").scalar())
            setup = ("PRAGMA synchronous = NORMAL",)
            self.cleanup = (f"PRAGMA synchronous = {previous}",)
            dialect_type = _deliveries.c.sent_at.type.dialect_impl(self.connection.dialect)
            self.sqlite_timestamp = (dialect_type.bind_processor(self.connection.dialect)
                                     or (lambda value: value))
        for statement in setup:
            self.connection.exec_driver_sql(statement)

    def __exit__(self, *exc):
        if self.connection is None:
            return
        connection, self.connection = self.connection, None
        try:
            for statement in self.cleanup:
                connection.exec_driver_sql(statement)
        except SQLAlchemyError:
            # The pool must not hand out a session still carrying our settings.
            connection.invalidate()
            raise
        finally:
            connection.close()

    def record(self, delivery_id, code, reply, message_id, first_for_notification=None):
        now = utcnow()
        params = {"delivery_id": delivery_id, "now": now, "code": code,
                  "reply": (reply or "")[:2000], "message_id": message_id}
        first_sent = ({"notification_id": first_for_notification, "now": now}
                      if first_for_notification is not None else None)
        if self.connection is None:
            db.session.execute(_MARK_SENT, params)
            if first_sent:
                db.session.execute(_FIRST_SENT, first_sent)
            db.session.commit()
            return
        if self.prepared:
            self.connection.exec_driver_sql(_EXECUTE_MARK_SENT, params)
        elif self.sqlite_timestamp is not None:
            stamp = self.sqlite_timestamp(now)
            self.connection.exec_driver_sql(_SQLITE_MARK_SENT, (
                stamp, stamp, code, params["reply"], message_id, delivery_id))
        else:
            self.connection.execute(_MARK_SENT, params)
        if first_sent:
            self.connection.execute(_FIRST_SENT, first_sent)

    def record_many(self, message_ids, code, reply, first_for_notification=None):
        """One request accepted for many deliveries (``{delivery_id: Message-ID}``): one
        UPDATE, so they are recorded together or not at all."""
        now = utcnow()
        statement = (update(_deliveries).where(_deliveries.c.id.in_(list(message_ids)))
                     .values(state="sent", sent_at=now, updated_at=now, smtp_code=code,
                             smtp_response=(reply or "")[:2000], lease_expires_at=None,
                             next_attempt_at=None,
                             message_id=case(message_ids, value=_deliveries.c.id)))
        first_sent = ({"notification_id": first_for_notification, "now": now}
                      if first_for_notification is not None else None)
        target = self.connection if self.connection is not None else db.session
        target.execute(statement)
        if first_sent:
            target.execute(_FIRST_SENT, first_sent)
        if self.connection is None:
            db.session.commit()
