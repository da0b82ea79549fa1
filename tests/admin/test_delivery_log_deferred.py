"""Deferred deliveries in the delivery log: a real SMTP server answers 4xx for one
recipient, a real RQ worker defers it, and the admin pages show what waits and until when."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import update

from statusmail.extensions import db
from statusmail.fanout.sweeper import queue_due_retries
from statusmail.models import Delivery, Notification, SiteSettings, Subscriber, utcnow
from statusmail.services.timezones import format_local
from tests.admin.test_delivery_log import BAD, progress, publish

GREYLISTED = "451 4.7.1 Greylisted, try again later"


@pytest.fixture
def subscribers(app, smtp):
    """Five confirmed subscribers (the last one greylisted when a test says so)."""
    with app.app_context():
        SiteSettings.get().notifications_enabled = True
        emails = [f"reader{n}@example.net" for n in range(4)] + [BAD]
        db.session.add_all(Subscriber(email=email, status="confirmed", confirmed_at=utcnow())
                           for email in emails)
        db.session.commit()
    return emails


def _deferred(app, notification_id):
    with app.app_context():
        return db.session.scalars(
            db.select(Delivery).join(Subscriber)
            .where(Delivery.notification_id == notification_id, Subscriber.email == BAD)).one()


def test_a_4xx_defers_the_delivery_and_the_notice_waits_for_its_retry(
        app, admin_client, smtp, subscribers, run_jobs):
    smtp.rcpt_replies[BAD] = GREYLISTED
    notification_id = publish(app)
    before = utcnow()
    run_jobs()
    smtp.wait_for(4)

    waiting = _deferred(app, notification_id)
    assert waiting.state == "queued" and waiting.attempts == 1
    assert waiting.smtp_code == 451 and waiting.next_attempt_at > before

    data = progress(admin_client, notification_id)
    assert data["state"] == "sending" and data["done"] is False
    assert data["display_state"] == "waiting_for_retries"
    assert data["next_attempt_at"] == waiting.next_attempt_at.isoformat(timespec="seconds") + "Z"

    page = admin_client.get(f"/admin/deliveries/{notification_id}").text
    assert 'data-field="state">waiting for retries</span>' in page
    assert 'data-state="waiting_for_retries"' in page
    assert "<dt>Next attempt</dt>" in page and "<dt>Rate</dt>" not in page
    with app.app_context():
        due = format_local(waiting.next_attempt_at, "%Y-%m-%d %H:%M:%S %Z")
    section = page[page.index('id="waiting"'):page.index('id="failures"')]
    assert BAD in section and "Greylisted, try again later" in section
    assert "<code>451</code>" in section and due in section
    assert re.search(r"<td>1</td>", section)  # one attempt so far
    assert "reader0@example.net" not in section  # sent ones are not waiting

    listing = admin_client.get("/admin/deliveries").text
    assert "waiting for retries" in listing

    # The backoff passes; the server accepts now; the sweeper queues the retry.
    del smtp.rcpt_replies[BAD]
    with app.app_context():
        db.session.execute(update(Delivery).where(Delivery.id == waiting.id)
                           .values(next_attempt_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
        assert queue_due_retries() == 1
    data = progress(admin_client, notification_id)
    assert data["display_state"] == "sending" and data["next_attempt_at"] is None
    run_jobs()
    assert len(smtp.wait_for(5)) == 5 and len(smtp.to(BAD)) == 1
    data = progress(admin_client, notification_id)
    assert data["state"] == "completed" and data["display_state"] == "completed"
    page = admin_client.get(f"/admin/deliveries/{notification_id}").text
    assert "No delivery is waiting for a retry." in page


def test_a_notice_with_deliveries_still_to_send_is_not_waiting(app, admin_client, smtp,
                                                                subscribers):
    """Deferred and fresh deliveries together: the notice is sending, not waiting."""
    notification_id = publish(app)
    with app.app_context():
        first = db.session.scalars(db.select(Delivery.id).where(
            Delivery.notification_id == notification_id).order_by(Delivery.id)).first()
        db.session.execute(update(Delivery).where(Delivery.id == first).values(
            attempts=1, smtp_code=421, smtp_response="421 4.3.2 Shutting down",
            next_attempt_at=utcnow() + timedelta(minutes=5)))
        db.session.commit()
    data = progress(admin_client, notification_id)
    assert data["display_state"] == "sending" and data["next_attempt_at"] is None
    page = admin_client.get(f"/admin/deliveries/{notification_id}").text
    assert "Shutting down" in page[page.index('id="waiting"'):]
    assert "<dt>Rate</dt>" in page


def test_the_waiting_list_pages_through_every_deferred_delivery(app, admin_client):
    """Keyset pages of 50 with their own cursor, newest first, none twice or missed."""
    with app.app_context():
        notice = Notification(kind="incident_created", subject="Many waiting", state="sending",
                              total=120, first_sent_at=utcnow())
        db.session.add(notice)
        db.session.add_all(Subscriber(email=f"w{n:03d}@example.org", status="confirmed")
                           for n in range(120))
        db.session.flush()
        later = utcnow() + timedelta(minutes=10)
        for subscriber in Subscriber.query.filter(Subscriber.email.like("w%")):
            db.session.add(Delivery(notification_id=notice.id, subscriber_id=subscriber.id,
                                    state="queued", attempts=2, next_attempt_at=later,
                                    smtp_code=452, smtp_response="452 4.2.2 Mailbox full"))
        db.session.commit()
        notification_id = notice.id
    url, seen, pages = f"/admin/deliveries/{notification_id}", [], 0
    while url:
        page = admin_client.get(url).text
        section = page[page.index('id="waiting"'):page.index('id="failures"')]
        seen += re.findall(r"w\d{3}@example\.org", section)
        older = re.search(r'href="([^"]+)" rel="next">Older', section)
        url = older.group(1).replace("&amp;", "&") if older else None
        assert url is None or ("waiting_after=" in url and url.endswith("#waiting"))
        pages += 1
    assert pages == 3 and len(seen) == 120 and len(set(seen)) == 120
    assert seen == sorted(seen, reverse=True)
    assert "waiting for retries" in admin_client.get("/admin/deliveries").text
