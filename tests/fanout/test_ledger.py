"""The ledger's cheap paths keep their promises: what a claim takes, how the database
finds it, and a recorder that hands its pooled connection back as it found it."""
from datetime import timedelta

from sqlalchemy import event, select, text, update

from statusmail.extensions import db
from statusmail.fanout import ledger
from statusmail.fanout.recorder import SentRecorder
from statusmail.models import Delivery, utcnow

from .helpers import add_subscribers, enable_notifications, publish_incident


def delivery_ids(notification_id):
    return db.session.scalars(select(Delivery.id).order_by(Delivery.id)
                              .where(Delivery.notification_id == notification_id)).all()


def test_a_claim_takes_only_what_is_claimable_in_its_own_notification(app):
    enable_notifications(app)
    add_subscribers(app, 6)
    ours, other = publish_incident(app, title="Ours"), publish_incident(app, title="Other")
    with app.app_context():
        ids = delivery_ids(ours)
        now = utcnow()
        past, future = now - timedelta(minutes=1), now + timedelta(minutes=5)
        changes = {1: {"next_attempt_at": past},  # its retry is due
                   2: {"next_attempt_at": future},  # its retry is not
                   # its worker died: the sweeper, not a claim, re-offers it (marked)
                   3: {"state": "sending", "lease_expires_at": past},
                   4: {"state": "sending", "lease_expires_at": future},  # held
                   5: {"state": "sent"}}
        for index, values in changes.items():
            db.session.execute(update(Delivery).where(Delivery.id == ids[index]).values(**values))
        db.session.commit()
        foreign = delivery_ids(other)[0]

        lease, claimed = ledger.claim(ours, ids + [foreign])

        assert claimed == [ids[0], ids[1]]
        rows = {row.id: row for row in db.session.scalars(select(Delivery))}
        assert all(rows[i].state == "sending" and rows[i].lease_expires_at == lease
                   for i in claimed)
        assert rows[ids[3]].lease_expires_at == past
        assert rows[ids[4]].lease_expires_at == future
        assert rows[foreign].state == "queued"


def _statements_of(engine, action):
    seen = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        action()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return seen


def test_a_claim_finds_its_batch_by_primary_key_even_when_queued_rows_look_rare(app):
    """After sent notices, statistics say "queued" is rare and an index on state looks
    cheap; following it would read every queued row of the notification, per batch."""
    enable_notifications(app)
    add_subscribers(app, 1000)
    for number in range(4):
        publish_incident(app, title=f"Past outage {number}")
    with app.app_context():
        db.session.execute(update(Delivery).values(state="sent", sent_at=utcnow()))
        db.session.commit()
        db.session.execute(text("ANALYZE"))
        db.session.commit()
    current = publish_incident(app, title="Current outage")
    with app.app_context():
        batch = delivery_ids(current)[200:210]
        statements = _statements_of(db.engine, lambda: ledger.claim(current, batch))
        claim_sql, parameters = next(s for s in statements if s[0].lstrip().startswith("UPDATE"))
        postgresql = db.engine.dialect.name == "postgresql"
        explain = "EXPLAIN " if postgresql else "EXPLAIN QUERY PLAN "
        plan = "\n".join(str(row[-1]) for row in db.session.connection().exec_driver_sql(
            explain + claim_sql, parameters))
        db.session.rollback()
    assert ("deliveries_pkey" if postgresql else "INTEGER PRIMARY KEY") in plan, plan
    assert "ix_deliveries" not in plan, plan


def _session_state(dbapi_connection, dialect):
    cursor = dbapi_connection.cursor()
    try:
        if dialect == "postgresql":
            cursor.execute("SELECT current_setting('synchronous_commit'), "
                           "(SELECT count(*) FROM pg_prepared_statements)")
        else:
            cursor.execute("PRAGMA synchronous")
        return tuple(cursor.fetchone())
    finally:
        cursor.close()
        dbapi_connection.rollback()


def test_the_recorder_hands_its_connection_back_as_it_found_it(app):
    enable_notifications(app)
    add_subscribers(app, 2)
    notification_id = publish_incident(app)
    with app.app_context():
        dialect = db.engine.dialect.name
        with db.engine.connect() as probe:
            expected = _session_state(probe.connection.dbapi_connection, dialect)
        _, claimed = ledger.claim(notification_id, delivery_ids(notification_id))
        with SentRecorder(own_connection=True) as recorder:
            used = recorder.connection.connection.dbapi_connection
            inside = _session_state(used, dialect)
            for number, delivery_id in enumerate(claimed):
                recorder.record(delivery_id, 250, "2.0.0 Ok", f"<{number}@example.com>",
                                first_for_notification=notification_id if number == 0 else None)

        if dialect == "postgresql":
            assert inside == ("off", 1)  # no waiting for the disk flush, the UPDATE prepared …
        assert _session_state(used, dialect) == expected  # … and all put back
        states = db.session.scalars(select(Delivery.state)
                                    .where(Delivery.notification_id == notification_id)).all()
        assert states == ["sent", "sent"]
