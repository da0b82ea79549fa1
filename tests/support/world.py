"""An admin's world of a chosen size, bulk-loaded with INSERT … SELECT.

Used by the page-flatness tests (tens and hundreds of rows) and by bench/admin_pages.py
(up to a million): rows come from a number sequence inside the database
(``generate_series`` on PostgreSQL, a recursive CTE on SQLite), not from Python.
``grow`` can be called again to make the same world larger.
"""
from datetime import timedelta

from sqlalchemy import func, select, text

from statusmail.extensions import db
from statusmail.models import (
    ApiToken, Component, Incident, Maintenance, Notification, SiteSettings, Subscriber, utcnow,
)

STATUS_BY_REMAINDER = ("CASE WHEN n % 20 = 0 THEN 'pending' WHEN n % 20 = 1 THEN 'unsubscribed' "
                       "WHEN n % 20 = 2 THEN 'bounced' ELSE 'confirmed' END")


def _sequence(start, stop):
    """A FROM clause yielding ``n`` from ``start`` + 1 to ``stop``."""
    if db.engine.dialect.name == "postgresql":
        return f"generate_series({start + 1}, {stop}) AS seq(n)"
    return (f"(WITH RECURSIVE seq(n) AS (SELECT {start + 1} UNION ALL SELECT n + 1 FROM seq "
            f"WHERE n < {stop}) SELECT n FROM seq) AS seq")


def _run(sql, **params):
    db.session.execute(text(sql), params)


def _count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def _max_id(model):
    return db.session.scalar(select(func.max(model.id))) or 0


def grow(app, subscribers, deliveries, rows):
    """Make the world hold ``subscribers``, one big notice with ``deliveries`` and
    ``rows`` of everything else that is listed (notices, incidents, maintenance windows,
    captured mails, test sends). Returns ids the pages need."""
    now = utcnow()
    with app.app_context():
        settings = SiteSettings.get()
        settings.notifications_enabled, settings.timezone = True, "Europe/Berlin"
        if not _count(Component):
            db.session.add_all(Component(name=f"Component {n}", position=n) for n in range(3))
            db.session.add_all(ApiToken(name=f"token {n}", token_hash=f"{n:064d}",
                                        prefix=f"p{n}") for n in range(3))
            db.session.add(Maintenance(title="Next window", description="Planned.",
                                       starts_at=now + timedelta(days=3),
                                       ends_at=now + timedelta(days=3, hours=1)))
        db.session.commit()
        component_id = db.session.scalar(select(func.min(Component.id)))
        _subscribers(_max_id(Subscriber), subscribers, now)
        big = _big_notice(now)
        _deliveries(big, deliveries, now)
        _listed_rows(_count(Notification) - 1, rows, now, component_id)
        first_subscriber = db.session.scalar(select(func.min(Subscriber.id)))
        ids = {"notification": big, "subscriber": first_subscriber,
               "delivery_mid": db.session.scalar(text(
                   "SELECT (min(id) + max(id)) / 2 FROM deliveries WHERE notification_id = :id"),
                   {"id": big}),
               "component": component_id,
               "incident": db.session.scalar(select(func.max(Incident.id))),
               "maintenance": db.session.scalar(select(func.max(Maintenance.id))),
               "scheduled": db.session.scalar(select(func.min(Maintenance.id))),
               "captured": db.session.scalar(text("SELECT max(id) FROM captured_mail")),
               "test_send": db.session.scalar(
                   text("SELECT max(id) FROM outbound_mail WHERE kind = 'test'")),
               "suppression": db.session.scalar(text("SELECT max(id) FROM suppressions")),
               "reported_mid": db.session.scalar(
                   text("SELECT (min(id) + max(id)) / 2 FROM provider_events")),
               "audit_event": db.session.scalar(text("SELECT max(id) FROM audit_events"))}
        db.session.commit()
        return ids


def _subscribers(have, want, now):
    if want <= have:
        return
    link_key = ("md5(random()::text || n)" if db.engine.dialect.name == "postgresql"
                else "lower(hex(randomblob(16)))")
    _run(f"""INSERT INTO subscribers (email, status, source, created_at, confirmed_at,
             bounce_count, all_components, notify_incidents, notify_maintenance,
             notify_component_changes, link_key)
             SELECT 'user' || n || '@example.org', {STATUS_BY_REMAINDER}, 'import', :now, :now,
                    0, true, true, true, true, {link_key}
             FROM {_sequence(have, want)}""", now=now)


def _big_notice(now):
    found = db.session.scalar(select(Notification.id).where(Notification.subject == "Big notice"))
    if found:
        return found
    notice = Notification(kind="incident_created", subject="Big notice", context={},
                          state="sending", total=0, created_at=now, first_sent_at=now)
    db.session.add(notice)
    db.session.flush()
    return notice.id


def _deliveries(notification_id, want, now):
    have = db.session.scalar(text("SELECT total FROM notifications WHERE id = :id"),
                             {"id": notification_id})
    if want <= have:
        return
    after = db.session.scalar(text(
        "SELECT coalesce(max(subscriber_id), 0) FROM deliveries WHERE notification_id = :id"),
        {"id": notification_id})
    # One in twenty failed, one queued, one deferred (a 451, retried in ten minutes).
    _run("""INSERT INTO deliveries (notification_id, subscriber_id, state, attempts, updated_at,
            sent_at, smtp_code, smtp_response, next_attempt_at)
            SELECT :notice, id, CASE WHEN id % 20 = 3 THEN 'failed' WHEN id % 20 IN (4, 5)
                   THEN 'queued' ELSE 'sent' END, 1, :now, :now,
                   CASE WHEN id % 20 = 5 THEN 451 ELSE 250 END,
                   CASE WHEN id % 20 = 5 THEN '451 4.7.1 Try again later' ELSE 'accepted' END,
                   CASE WHEN id % 20 = 5 THEN :retry END
            FROM subscribers WHERE id > :after ORDER BY id LIMIT :limit""",
         notice=notification_id, now=now, after=after, limit=want - have,
         retry=now + timedelta(minutes=10))
    _run("UPDATE notifications SET total = :want WHERE id = :id", want=want, id=notification_id)


def _listed_rows(have, want, now, component_id):
    if want <= have:
        return
    sequence = _sequence(have, want)
    _run(f"""INSERT INTO notifications (kind, subject, context, state, total, created_at,
             finished_at, expanded_through, expanding)
             SELECT 'incident_created', 'Notice ' || n, '{{}}', 'completed', 0, :now, :now, 0,
                    false FROM {sequence}""", now=now)
    _run(f"""INSERT INTO incidents (title, impact, status, created_at, resolved_at)
             SELECT 'Incident ' || n, 'minor', 'resolved', :now, :now FROM {sequence}""", now=now)
    _run("""INSERT INTO incident_updates (incident_id, status, message, created_at)
            SELECT id, 'resolved', 'Fixed.', :now FROM incidents
            WHERE id NOT IN (SELECT incident_id FROM incident_updates)""", now=now)
    _run("""INSERT INTO incident_components (incident_id, component_id, new_status)
            SELECT id, :component, 'partial_outage' FROM incidents
            WHERE id NOT IN (SELECT incident_id FROM incident_components)""", component=component_id)
    start = now - timedelta(days=30)
    _run(f"""INSERT INTO maintenances (title, description, starts_at, ends_at, status, notify,
             created_at) SELECT 'Window ' || n, 'Routine.', :start, :end, 'completed', true, :now
             FROM {sequence}""", start=start, end=start + timedelta(hours=1), now=now)
    _run("""INSERT INTO maintenance_components (maintenance_id, component_id)
            SELECT id, :component FROM maintenances
            WHERE id NOT IN (SELECT maintenance_id FROM maintenance_components)""",
         component=component_id)
    _run(f"""INSERT INTO captured_mail (created_at, sender, recipient, subject, raw)
             SELECT :now, 'status@example.com', 'user' || n || '@example.org', 'Notice ' || n,
                    :raw FROM {sequence}""", now=now, raw=b"Subject: hi\r\n\r\nhello\r\n")
    _run(f"""INSERT INTO outbound_mail (kind, recipient, subject, body, state, attempts,
             created_at, finished_at, result_code, result_message)
             SELECT 'test', 'ops' || n || '@example.org', 'Test', 'Hello', 'sent', 1, :now, :now,
                    250, 'accepted' FROM {sequence}""", now=now)
    _run(f"""INSERT INTO audit_events (kind, actor_email, client_ip, summary, detail, created_at)
             SELECT CASE WHEN n % 2 = 0 THEN 'login_failed' ELSE 'incident_created' END,
                    'ops' || (n % 3) || '@example.org', '192.0.2.1', 'Entry ' || n, '{{}}', :now
             FROM {sequence}""", now=now)
    # The first subscriber has a delivery of every listed notice: a long history.
    _run("""INSERT INTO deliveries (notification_id, subscriber_id, state, attempts, updated_at)
            SELECT id, (SELECT min(id) FROM subscribers), 'sent', 1, :now FROM notifications
            WHERE subject LIKE 'Notice %' AND id NOT IN (
                SELECT notification_id FROM deliveries
                WHERE subscriber_id = (SELECT min(id) FROM subscribers))""", now=now)
    # Suppressed addresses, every third one lifted, each caused by the big notice.
    _run(f"""INSERT INTO suppressions (email, reason, source, detail, notification_id,
             created_at, lifted_at, lifted_by)
             SELECT 'gone' || n || '@example.net',
                    CASE WHEN n % 2 = 0 THEN 'hard_bounce' ELSE 'spam_report' END, 'webhook',
                    'SendGrid bounce', (SELECT min(id) FROM notifications), :now,
                    CASE WHEN n % 3 = 0 THEN :now END,
                    CASE WHEN n % 3 = 0 THEN 'admin@example.com' END FROM {sequence}""", now=now)
    # What SendGrid reported on the big notice's mail: a bounce per listed row.
    _run(f"""INSERT INTO provider_events (sg_event_id, event, bounce_type, email, subscriber_id,
             notification_id, reason, status, occurred_at, received_at)
             SELECT 'evt-' || n, 'bounce', 'bounce', 'user' || n || '@example.org',
                    (SELECT min(id) FROM subscribers),
                    (SELECT id FROM notifications WHERE subject = 'Big notice'),
                    '550 no such user', '5.1.1', :now, :now FROM {sequence}""", now=now)
