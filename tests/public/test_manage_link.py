""""Email me my manage link": one answer for every address, a mail only to the address's
own subscriber (through the outbox and a real SMTP server), limits like sign-up."""
import re

import pytest

from tests.conftest import TEST_BASE_URL
from tests.public.support import post_from
from tests.support import web

FORMS = ["/manage-link", "/"]  # its own page, and the form on the status page


def _ask(client, email, ip="10.1.0.1", page="/manage-link", **extra):
    form = client.get(page)
    return post_from(client, "/manage-link", {"csrf_token": web.csrf_token(form.text),
                                              "email": email, **extra}, ip)


def _outbound(app):
    from statusmail.models import OutboundMail
    with app.app_context():
        return [(row.recipient, row.state, row.subscriber_id)
                for row in OutboundMail.query.order_by(OutboundMail.id)]


def _link_in(server, address, path):
    mails = [m for m in server.messages if address in m.rcpt_tos]
    assert len(mails) == 1, mails
    text = mails[0].message.get_body(("plain",)).get_content()
    link = re.search(rf"https?://\S+/{path}/\S+", text).group(0)
    assert link.startswith(TEST_BASE_URL)
    return mails[0], text, link[len(TEST_BASE_URL):]


@pytest.mark.parametrize("page", FORMS)
def test_confirmed_subscriber_gets_a_working_manage_link(app, client, smtp, run_jobs,
                                                         subscribers, page):
    sid = subscribers.add("owner@example.com")
    answer = _ask(client, " Owner@Example.com ", page=page)
    assert answer.status_code == 200 and "Check your inbox" in answer.text
    assert "owner@example.com" not in answer.text.lower()
    run_jobs()
    mail, text, path = _link_in(smtp, "owner@example.com", "manage")
    assert "notification preferences" in mail.message["Subject"]
    assert "asked on" in text and "for the link to this address's notification preferences" \
        in text
    preferences = client.get(path)
    assert preferences.status_code == 200 and "Save preferences" in preferences.text
    assert _outbound(app) == [("owner@example.com", "sent", sid)]


def test_pending_subscriber_gets_the_confirmation_link_instead(app, client, smtp, run_jobs,
                                                                subscribers):
    sid = subscribers.add("half@example.com", status="pending")
    assert _ask(client, "half@example.com").status_code == 200
    run_jobs()
    mail, text, path = _link_in(smtp, "half@example.com", "confirm")
    assert mail.message["Subject"].startswith("Confirm your subscription")
    assert "not confirmed yet" in text
    confirm = client.get(path)
    client.post(path, data={"csrf_token": web.csrf_token(confirm.text)})
    assert subscribers.get(sid).status == "confirmed"


def test_the_re_sent_confirmation_can_stop_all_mail_and_the_manage_link_cannot(
        app, client, smtp, run_jobs, subscribers):
    """A pending address may never have asked: its mail carries "This wasn't me" as the
    confirmation does. A confirmed subscriber's manage link does not (they unsubscribe)."""
    from statusmail.models import Suppression
    subscribers.add("half@example.com", status="pending")
    subscribers.add("owner@example.com")
    _ask(client, "half@example.com")
    _ask(client, "owner@example.com", ip="10.1.0.2")
    run_jobs()
    mail, text, _ = _link_in(smtp, "half@example.com", "confirm")
    html = mail.message.get_body(("html",)).get_content()
    text_link = re.search(r"(/not-me/\S+)", text).group(1)
    assert re.search(r'href="[^"]*(/not-me/[^"]+)"', html).group(1) == text_link
    _, owner_text, _ = _link_in(smtp, "owner@example.com", "manage")
    assert "/not-me/" not in owner_text

    page = client.get(text_link)
    assert page.status_code == 200 and "h***@example.com" in page.text
    done = client.post(text_link, data={"csrf_token": web.csrf_token(page.text)})
    assert done.status_code == 200 and "No more mail to this address" in done.text
    with app.app_context():
        assert [(row.email, row.reason) for row in Suppression.query] == [
            ("half@example.com", "not_me")]


def test_every_address_gets_the_same_answer_and_the_same_work(app, client, smtp, run_jobs,
                                                               subscribers):
    """The request writes one row and queues one job whatever the address; only the job
    knows, and it mails nobody but a confirmed or pending subscriber."""
    subscribers.add("known@example.com")
    subscribers.add("left@example.com", status="unsubscribed")
    subscribers.add("gone@example.com", status="bounced")
    addresses = ["known@example.com", "left@example.com", "gone@example.com",
                 "stranger@example.com"]
    answers = {_ask(client, address, ip=f"10.1.1.{n}").data
               for n, address in enumerate(addresses)}
    assert len(answers) == 1
    assert [row[:2] for row in _outbound(app)] == [(a, "queued") for a in addresses]
    run_jobs()
    assert [m.rcpt_tos for m in smtp.messages] == [["known@example.com"]]
    assert [row[1] for row in _outbound(app)] == ["sent", "cancelled", "cancelled", "cancelled"]


def test_invalid_address_is_explained_and_queues_nothing(app, client):
    answer = _ask(client, "not-an-address")
    assert answer.status_code == 400 and "must have an @-sign" in answer.text
    assert _outbound(app) == []


def test_honeypot_gets_the_same_answer_and_queues_nothing(app, client, subscribers):
    subscribers.add("bait@example.com")
    human = _ask(client, "bait@example.com", ip="10.1.2.1")
    bot = _ask(client, "bait@example.com", ip="10.1.2.2", website="http://spam.example")
    assert bot.data == human.data
    assert len(_outbound(app)) == 1


def test_the_form_needs_its_signed_token_and_our_origin(app, client):
    assert post_from(client, "/manage-link", {"email": "a@example.com"}, "10.1.3.1") \
        .status_code == 400
    form = client.get("/manage-link")
    foreign = client.post("/manage-link", data={"csrf_token": web.csrf_token(form.text),
                                                "email": "a@example.com"},
                          headers={"Origin": "https://evil.example"})
    assert foreign.status_code == 400 and "another site" in foreign.text
    assert _outbound(app) == []


def test_one_address_gets_three_requests_an_hour_from_any_network(app, client, subscribers):
    for n in range(3):
        assert _ask(client, "Target@example.com", ip=f"10.1.4.{n}").status_code == 200
    blocked = _ask(client, "target@example.com", ip="10.1.4.99")
    assert blocked.status_code == 429 and "for this address" in blocked.text
    assert _ask(client, "other@example.com", ip="10.1.4.99").status_code == 200
    assert len(_outbound(app)) == 4


def test_one_network_gets_five_requests_a_minute(app, client):
    for n in range(5):
        assert _ask(client, f"user{n}@example.com", ip="10.1.5.1").status_code == 200
    blocked = _ask(client, "user5@example.com", ip="10.1.5.1")
    assert blocked.status_code == 429 and "from your network" in blocked.text
    assert _ask(client, "user5@example.com", ip="10.1.5.2").status_code == 200


def test_status_page_form_is_the_same_for_everyone(app):
    """The status page is cached for everyone: its form needs no session cookie."""
    client = app.test_client(use_cookies=False)
    page = client.get("/")
    assert 'action="/manage-link"' in page.text and "Set-Cookie" not in page.headers


def test_a_suppressed_address_gets_the_same_answer_and_no_mail(app, client, smtp, run_jobs,
                                                               subscribers):
    from statusmail.services.suppressions import suppress
    subscribers.add("quiet@example.com")
    with app.app_context():
        suppress("quiet@example.com", "operator", "operator")
    assert _ask(client, "quiet@example.com").status_code == 200
    run_jobs()
    assert smtp.messages == []
