"""Signing up from the page and the widget: one answer for all, validation, abuse limits."""
from datetime import timedelta

import pytest

from statusmail.models import utcnow
from tests.support import web
from tests.public.support import post_from

FORMS = ["/subscribe", "/widget"]


def _subscribe(client, url, email, ip="10.0.0.1", **extra):
    page = client.get(url)
    return post_from(client, url, {"csrf_token": web.csrf_token(page.text), "email": email,
                                   **extra}, ip)


def test_widget_may_be_framed_anywhere_and_needs_no_cookie(app):
    client = app.test_client(use_cookies=False)
    page = client.get("/widget")
    assert page.status_code == 200
    assert "frame-ancestors *;" in page.headers["Content-Security-Policy"] + ";"
    assert "X-Frame-Options" not in page.headers
    assert "Set-Cookie" not in page.headers
    # Another site's frame gets no cookie of ours: the POST must work without one.
    answer = client.post("/widget", data={"csrf_token": web.csrf_token(page.text),
                                          "email": "frame@example.com"},
                         headers={"Origin": "http://statusmail.test"})
    assert answer.status_code == 200 and "Check your inbox" in answer.text
    assert "frame-ancestors *;" in answer.headers["Content-Security-Policy"] + ";"
    assert "Set-Cookie" not in answer.headers


def test_other_pages_refuse_foreign_frames(app, client, subscribers):
    sid = subscribers.add("frames@example.com")
    for url in ["/subscribe", f"/unsubscribe/{subscribers.token('unsubscribe', sid)}",
                f"/manage/{subscribers.token('manage', sid)}"]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["X-Frame-Options"] == "SAMEORIGIN"
        assert "frame-ancestors 'self'" in response.headers["Content-Security-Policy"]


def test_widget_refuses_posts_forged_elsewhere(app, subscribers):
    client = app.test_client(use_cookies=False)
    token = web.csrf_token(client.get("/widget").text)
    forged = client.post("/widget", data={"csrf_token": token, "email": "victim@example.com"},
                         headers={"Origin": "https://evil.example"})
    assert forged.status_code == 400 and "sent from another site" in forged.text
    missing = client.post("/widget", data={"email": "victim@example.com"})
    assert missing.status_code == 400 and "Reload the page" in missing.text
    assert subscribers.count() == 0 and subscribers.outbound_count() == 0


@pytest.mark.parametrize("url", FORMS)
def test_same_answer_whatever_we_know_about_the_address(app, smtp, run_jobs, subscribers, url):
    subscribers.add("pending@example.com", status="pending", confirmation_sent_at=utcnow())
    subscribers.add("confirmed@example.com")
    subscribers.add("left@example.com", status="unsubscribed", unsubscribed_at=utcnow())
    subscribers.add("bounced@example.com", status="bounced", bounce_count=3)
    client = app.test_client()
    answers = [_subscribe(client, url, email, ip=f"10.0.1.{n}")
               for n, email in enumerate(["new@example.com", "pending@example.com",
                                          "confirmed@example.com", "left@example.com",
                                          "bounced@example.com"])]

    assert {a.status_code for a in answers} == {200}
    assert len({a.data for a in answers}) == 1
    assert "Check your inbox" in answers[0].text

    # Behind the one answer, each case did its own thing.
    with app.app_context():
        from statusmail.models import OutboundMail
        assert sorted(r.recipient for r in OutboundMail.query) == [
            "bounced@example.com", "left@example.com", "new@example.com"]
    run_jobs()
    assert sorted(m.to for m in smtp.messages) == [
        "bounced@example.com", "left@example.com", "new@example.com"]
    assert subscribers.get(email="new@example.com").status == "pending"
    assert subscribers.get(email="left@example.com").status == "pending"
    assert subscribers.get(email="confirmed@example.com").status == "confirmed"
    # A bounced address may opt in again: only acting on the mail brings notices back.
    assert subscribers.get(email="bounced@example.com").status == "pending"


def test_pending_address_gets_a_new_mail_only_after_a_while(app, client, subscribers):
    assert _subscribe(client, "/subscribe", "slow@example.com").status_code == 200
    assert _subscribe(client, "/subscribe", "slow@example.com").status_code == 200
    assert subscribers.outbound_count() == 1

    from statusmail.extensions import db
    from statusmail.models import Subscriber
    with app.app_context():
        row = Subscriber.query.filter_by(email="slow@example.com").one()
        row.confirmation_sent_at = utcnow() - timedelta(minutes=10)
        db.session.commit()
    assert _subscribe(client, "/subscribe", "slow@example.com").status_code == 200
    assert subscribers.outbound_count() == 2
    assert subscribers.count() == 1


@pytest.mark.parametrize("url", FORMS)
@pytest.mark.parametrize("email, message", [
    ("", "Enter an email address."),
    ("not-an-address", "must have an @-sign"),
    ("someone@localhost", "not valid"),
    ("jörg@example.com", "are not supported"),
])
def test_invalid_addresses_are_explained_and_store_nothing(app, client, subscribers, url,
                                                           email, message):
    response = _subscribe(client, url, email)
    assert response.status_code == 400
    assert message in response.text and 'class="error"' in response.text
    assert subscribers.count() == 0 and subscribers.outbound_count() == 0


@pytest.mark.parametrize("url", FORMS)
def test_honeypot_gets_the_same_answer_and_stores_nothing(app, client, subscribers, url):
    human = _subscribe(client, url, "human@example.com", ip="10.0.2.1")
    bot = _subscribe(client, url, "bot@example.com", ip="10.0.2.2", website="http://spam.example")
    assert bot.status_code == human.status_code == 200
    assert bot.data == human.data
    assert subscribers.get(email="bot@example.com") is None
    assert subscribers.count() == 1 and subscribers.outbound_count() == 1


def test_one_network_gets_five_sign_ups_a_minute_across_page_and_widget(app, client,
                                                                       subscribers):
    for n in range(5):
        url = FORMS[n % 2]
        assert _subscribe(client, url, f"user{n}@example.com").status_code == 200
    blocked = _subscribe(client, "/widget", "user5@example.com")
    assert blocked.status_code == 429
    assert "Too many requests" in blocked.text and "from your network" in blocked.text
    assert "frame-ancestors *;" in blocked.headers["Content-Security-Policy"] + ";"
    assert subscribers.get(email="user5@example.com") is None
    # Another network is not held up.
    assert _subscribe(client, "/subscribe", "user5@example.com", ip="10.9.9.9").status_code == 200


def test_one_address_gets_five_sign_ups_an_hour_from_any_network(app, client, subscribers):
    for n in range(5):
        email = "Target@Example.com" if n % 2 else "target@example.com"
        assert _subscribe(client, FORMS[n % 2], email, ip=f"10.0.3.{n}").status_code == 200
    blocked = _subscribe(client, "/subscribe", "TARGET@example.com", ip="10.0.3.99")
    assert blocked.status_code == 429 and "for this address" in blocked.text
    # Other addresses from that network still work.
    assert _subscribe(client, "/subscribe", "other@example.com", ip="10.0.3.99").status_code \
        == 200
    # Behind the limit, the resend window kept it to one mail per address.
    with app.app_context():
        from statusmail.models import OutboundMail
        assert sorted(r.recipient for r in OutboundMail.query) == [
            "other@example.com", "target@example.com"]


def test_invalid_input_does_not_use_up_an_address_allowance(app, client):
    for n in range(7):
        assert _subscribe(client, "/subscribe", "nobody", ip=f"10.0.4.{n}").status_code == 400
