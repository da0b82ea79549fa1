"""The subscriber list, a subscriber's page, removal and re-sent confirmations, through HTTP."""
import re
from datetime import datetime

import pytest
from sqlalchemy import insert

from statusmail.extensions import db
from statusmail.models import (
    Component, Delivery, Notification, OutboundMail, SiteSettings, Subscriber,
)
from tests.support import web


def add_subscribers(app, *rows, **common):
    """Insert subscribers (dicts or addresses) in one statement; return their ids."""
    values = [{"status": "confirmed", "source": "widget", **common,
               **(row if isinstance(row, dict) else {"email": row})} for row in rows]
    with app.app_context():
        ids = db.session.scalars(insert(Subscriber).returning(
            Subscriber.id, sort_by_parameter_order=True), values).all()
        db.session.commit()
    return ids


def listed(response):
    """The addresses in the list table, in order."""
    assert response.status_code == 200, response.status_code
    return re.findall(r'href="/admin/subscribers/\d+">([^<]+)</a>', response.text)


def test_list_shows_status_source_dates_in_the_operator_zone_and_counts(app, admin_client):
    add_subscribers(app, {"email": "ann@example.com", "status": "confirmed",
                          "created_at": datetime(2024, 1, 15, 23, 30),
                          "confirmed_at": datetime(2024, 1, 15, 23, 45)})
    add_subscribers(app, "pat@example.com", status="pending", source="api")
    add_subscribers(app, "uma@example.com", status="unsubscribed")
    with app.app_context():
        SiteSettings.get().timezone = "Europe/Berlin"
        db.session.commit()
    page = admin_client.get("/admin/subscribers")
    assert set(listed(page)) == {"ann@example.com", "pat@example.com", "uma@example.com"}
    assert "2024-01-16 00:30 CET" in page.text and "2024-01-16 00:45 CET" in page.text
    assert 'badge-pending">pending' in page.text and "<td>api</td>" in page.text
    counts = dict(re.findall(r'(\w+) <span class="count">(\d+)</span>', page.text))
    assert counts == {"All": "3", "Pending": "1", "Confirmed": "1", "Unsubscribed": "1",
                      "Bounced": "0"}


def test_filter_by_status_and_search_by_substring_any_case(app, admin_client):
    add_subscribers(app, "alice@example.com", "bob@example.com", "alina@other.org")
    add_subscribers(app, "alfred@example.com", status="bounced")
    assert listed(admin_client.get("/admin/subscribers?status=bounced")) == ["alfred@example.com"]
    assert set(listed(admin_client.get("/admin/subscribers?q=AL"))) == {
        "alice@example.com", "alina@other.org", "alfred@example.com"}
    assert set(listed(admin_client.get("/admin/subscribers?q=al&status=confirmed"))) == {
        "alice@example.com", "alina@other.org"}
    searched = admin_client.get("/admin/subscribers?q=al&status=confirmed").text
    assert re.findall(r'(\w+) <span class="count">(\d+)</span>', searched)[:3] == [
        ("All", "3"), ("Pending", "0"), ("Confirmed", "2")]
    assert "No subscriber matches" in admin_client.get("/admin/subscribers?q=zzz").text
    # A status that does not exist lists everyone instead of failing.
    assert len(listed(admin_client.get("/admin/subscribers?status=nonsense"))) == 4


def test_like_wildcards_in_the_search_are_literal(app, admin_client):
    add_subscribers(app, "a_b@example.com", "axb@example.com", "100%@example.com",
                    "100x@example.com")
    assert listed(admin_client.get("/admin/subscribers?q=a_b")) == ["a_b@example.com"]
    assert listed(admin_client.get("/admin/subscribers?q=100%25")) == ["100%@example.com"]


def test_pages_follow_ids_and_keep_the_filters_in_their_links(app, admin_client):
    add_subscribers(app, *[f"user{n:03}@example.com" for n in range(120)])
    add_subscribers(app, *[f"pending{n}@example.com" for n in range(3)], status="pending")
    url, pages = "/admin/subscribers?q=user&status=confirmed", []
    while url:
        response = admin_client.get(url.replace("&amp;", "&"))
        pages.append(listed(response))
        older = re.search(r'href="([^"]*)" rel="next"', response.text)
        url = older.group(1) if older else None
        if url:
            assert "q=user" in url and "status=confirmed" in url and "after=" in url
    assert [len(p) for p in pages] == [50, 50, 20]
    assert len({address for page in pages for address in page}) == 120
    assert pages[0][0] == "user119@example.com" and pages[-1][-1] == "user000@example.com"
    # And back: the newer page of the last one is the middle one.
    newer = re.search(r'href="([^"]*)" rel="prev"', response.text).group(1)
    assert listed(admin_client.get(newer.replace("&amp;", "&"))) == pages[1]
    assert "120 subscribers" in admin_client.get("/admin/subscribers?status=confirmed").text
    assert listed(admin_client.get("/admin/subscribers?after=1")) == []
    assert len(listed(admin_client.get("/admin/subscribers?after=nonsense"))) == 50


def test_detail_page_shows_preferences_deliveries_and_one_off_mail(app, admin_client):
    [subscriber_id] = add_subscribers(app, {"email": "dee@example.com", "all_components": False,
                                            "notify_maintenance": False, "bounce_count": 1,
                                            "last_bounce": "550 5.1.1 <dee> mailbox full"})
    with app.app_context():
        api = Component(name="API <v2>")
        db.session.add(api)
        subscriber = db.session.get(Subscriber, subscriber_id)
        subscriber.components.append(api)
        notification = Notification(kind="incident_created", subject="Outage on the API")
        db.session.add(notification)
        db.session.flush()
        db.session.add(Delivery(notification_id=notification.id, subscriber_id=subscriber_id,
                                state="sent", smtp_code=250, smtp_response="2.0.0 queued as X1"))
        db.session.add(OutboundMail(kind="confirm", recipient="dee@example.com",
                                    subscriber_id=subscriber_id, state="sent",
                                    result_message="250 accepted"))
        db.session.commit()
    page = admin_client.get(f"/admin/subscribers/{subscriber_id}")
    assert page.status_code == 200
    text = page.text
    assert "API &lt;v2&gt;" in text and "API <v2>" not in text  # escaped
    assert "Incident created" in text and "Outage on the API" in text
    assert "2.0.0 queued as X1" in text and "250 accepted" in text
    assert "550 5.1.1 &lt;dee&gt; mailbox full" in text
    assert re.search(r"<dt>Maintenance</dt><dd>no</dd>", text)
    assert admin_client.get("/admin/subscribers/999999").status_code == 404


def _remove_url(subscriber_id):
    return f"/admin/subscribers/{subscriber_id}/remove"


def _exists(app, subscriber_id):
    with app.app_context():
        return db.session.get(Subscriber, subscriber_id) is not None


def test_remove_asks_once_and_needs_csrf(app, admin_client):
    [keep, gone] = add_subscribers(app, "keep@example.com", "gone@example.com")
    with app.app_context():
        notification = Notification(kind="incident_created", subject="x")
        db.session.add(notification)
        db.session.flush()
        db.session.add(Delivery(notification_id=notification.id, subscriber_id=gone))
        db.session.commit()
    page = admin_client.get(_remove_url(gone) + "?next=/admin/subscribers?q=gone")
    assert "Remove gone@example.com?" in page.text and "record of 1 notification" in page.text
    # The page is the confirmation: no box to tick, no browser dialog on top of it.
    assert "data-confirm" not in page.text and 'type="checkbox"' not in page.text
    assert ">Remove subscriber</button>" in page.text

    assert admin_client.get(_remove_url(gone)).status_code == 200 and _exists(app, gone)
    assert admin_client.post(_remove_url(gone)).status_code == 400 and _exists(app, gone)

    done = web.submit(admin_client, _remove_url(gone) + "?next=/admin/subscribers?q=gone",
                      {"next": "/admin/subscribers?q=gone"}, action=_remove_url(gone))
    assert done.status_code == 302 and done.headers["Location"] == "/admin/subscribers?q=gone"
    assert not _exists(app, gone) and _exists(app, keep)
    with app.app_context():
        assert Delivery.query.count() == 0
    assert "gone@example.com is removed" in admin_client.get("/admin/subscribers").text


def test_remove_never_redirects_off_the_subscriber_pages(app, admin_client):
    [subscriber_id] = add_subscribers(app, "x@example.com")
    done = web.submit(admin_client, _remove_url(subscriber_id),
                      {"next": "https://evil.example/"})
    assert done.headers["Location"] == "/admin/subscribers"


def test_resend_confirmation_sends_a_real_mail(app, admin_client, smtp, run_jobs):
    [pending] = add_subscribers(app, "new@example.com", status="pending")
    response = web.submit(admin_client, "/admin/subscribers?status=pending",
                          {"next": "/admin/subscribers?status=pending"},
                          action=f"/admin/subscribers/{pending}/resend-confirmation")
    assert response.headers["Location"] == "/admin/subscribers?status=pending"
    run_jobs()
    [mail] = smtp.wait_for(1)
    assert mail.rcpt_tos == ["new@example.com"]
    body = mail.message.get_body(("plain",)).get_content()
    assert "http://statusmail.test/confirm/" in body
    with app.app_context():
        assert db.session.get(Subscriber, pending).confirmation_sent_at is not None
        assert OutboundMail.query.one().state == "sent"
    assert "new@example.com" in admin_client.get(f"/admin/subscribers/{pending}").text


@pytest.mark.parametrize("status", ["confirmed", "unsubscribed", "bounced"])
def test_resend_confirmation_is_refused_unless_pending(app, admin_client, status):
    [subscriber_id] = add_subscribers(app, "someone@example.com", status=status)
    response = web.submit(admin_client, f"/admin/subscribers/{subscriber_id}", {},
                          action=f"/admin/subscribers/{subscriber_id}/resend-confirmation",
                          follow_redirects=True)
    assert f"is {status}: only pending subscribers" in response.text
    with app.app_context():
        assert OutboundMail.query.count() == 0


def test_a_double_click_queues_one_confirmation(app, admin_client):
    [pending] = add_subscribers(app, "twice@example.com", status="pending")
    action = f"/admin/subscribers/{pending}/resend-confirmation"
    web.submit(admin_client, "/admin/subscribers", {}, action=action)
    second = web.submit(admin_client, "/admin/subscribers", {}, action=action,
                        follow_redirects=True)
    assert "already waiting to be sent" in second.text
    with app.app_context():
        assert OutboundMail.query.count() == 1
