"""How much captured mail there is, kept by the database itself.

The captured-mail cap (``STATUSMAIL_CAPTURE_MAX_MB``) is checked each time a mail is
captured and the page shows the total: summing every stored message for that would grow
with the capture. Triggers keep the count and the bytes here instead, in the same
transaction as the rows, whichever code path inserted or deleted them (capture, the
cap, retention, "delete all", a test). ``SHARDS`` rows chosen by id, as for delivery
counts, so that workers capturing at the same moment rarely wait on one counter row.
"""
from sqlalchemy import DDL, event

from ..extensions import db
from .counts import SHARDS
from .outbound import CapturedMail


class CapturedMailUsage(db.Model):
    __tablename__ = "captured_mail_usage"

    shard = db.Column(db.SmallInteger, primary_key=True, autoincrement=False)
    messages = db.Column(db.BigInteger, nullable=False, default=0)
    bytes = db.Column(db.BigInteger, nullable=False, default=0)


CapturedMail.__table__.add_is_dependent_on(CapturedMailUsage.__table__)

_SQLITE_UPSERT = """INSERT INTO captured_mail_usage (shard, messages, bytes)
         VALUES ({row}.id & {mask}, {sign}1, {sign}length({row}.raw))
         ON CONFLICT (shard) DO UPDATE SET messages = messages + excluded.messages,
         bytes = bytes + excluded.bytes;"""

SQLITE_TRIGGERS = [
    f"""CREATE TRIGGER captured_mail_usage_insert AFTER INSERT ON captured_mail BEGIN
         {_SQLITE_UPSERT.format(row="NEW", mask=SHARDS - 1, sign="")}
       END""",
    f"""CREATE TRIGGER captured_mail_usage_delete AFTER DELETE ON captured_mail BEGIN
         {_SQLITE_UPSERT.format(row="OLD", mask=SHARDS - 1, sign="-")}
       END""",
]

_POSTGRESQL_UPSERT = (
    "INSERT INTO captured_mail_usage (shard, messages, bytes) "
    f"SELECT CAST(id & {SHARDS - 1} AS smallint), {{sign}}count(*), "
    "{sign}coalesce(sum(octet_length(raw)), 0) FROM {rows} GROUP BY 1 ORDER BY 1 "
    "ON CONFLICT (shard) DO UPDATE SET messages = captured_mail_usage.messages + "
    "EXCLUDED.messages, bytes = captured_mail_usage.bytes + EXCLUDED.bytes;")

POSTGRESQL_TRIGGERS = [
    f"""CREATE OR REPLACE FUNCTION statusmail_count_captured_mail() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
          IF TG_OP = 'INSERT' THEN
            {_POSTGRESQL_UPSERT.format(sign="", rows="new_rows")}
          ELSE
            {_POSTGRESQL_UPSERT.format(sign="-", rows="old_rows")}
          END IF;
          RETURN NULL;
        END $$""",
    """CREATE TRIGGER captured_mail_usage_insert AFTER INSERT ON captured_mail
        REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
        EXECUTE FUNCTION statusmail_count_captured_mail()""",
    """CREATE TRIGGER captured_mail_usage_delete AFTER DELETE ON captured_mail
        REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
        EXECUTE FUNCTION statusmail_count_captured_mail()""",
]

for _dialect, _statements in (("sqlite", SQLITE_TRIGGERS), ("postgresql", POSTGRESQL_TRIGGERS)):
    for _statement in _statements:
        event.listen(CapturedMail.__table__, "after_create",
                     DDL(_statement).execute_if(dialect=_dialect))
