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
"""
from sqlalchemy import bindparam, update

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
_RELAX = {"postgresql": "SET synchronous_commit TO OFF", "sqlite": "PRAGMA synchronous = NORMAL"}
_RESTORE = {"postgresql": "RESET synchronous_commit", "sqlite": "PRAGMA synchronous = {}"}


class SentRecorder:
    """Context manager; ``record`` commits one accepted message."""

    def __init__(self, own_connection):
        self.own_connection = own_connection
        self.connection = None
        self.restore = None

    def __enter__(self):
        if self.own_connection:
            self.connection = db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            dialect = self.connection.dialect.name
            if dialect == "sqlite":
                previous = self.connection.exec_driver_sql("PRAGMA synchronous").scalar()
                self.restore = _RESTORE[dialect].format(int(previous))
            else:
                self.restore = _RESTORE.get(dialect)
            if dialect in _RELAX:
                self.connection.exec_driver_sql(_RELAX[dialect])
        return self

    def __exit__(self, *exc):
        if self.connection is not None:
            try:
                if self.restore:
                    self.connection.exec_driver_sql(self.restore)
            finally:
                self.connection.close()
                self.connection = None

    def record(self, delivery_id, code, reply, message_id, first_for_notification=None):
        now = utcnow()
        statements = [(_MARK_SENT, {"delivery_id": delivery_id, "now": now, "code": code,
                                    "reply": (reply or "")[:2000], "message_id": message_id})]
        if first_for_notification is not None:
            statements.append((_FIRST_SENT, {"notification_id": first_for_notification,
                                             "now": now}))
        if self.connection is not None:
            for statement, params in statements:
                self.connection.execute(statement, params)
            return
        for statement, params in statements:
            db.session.execute(statement, params)
        db.session.commit()
