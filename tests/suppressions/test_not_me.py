""""This wasn't me" in the confirmation mail: says why it came, stops all mail on POST."""
import re

import pytest

from statusmail.models import Subscriber, Suppression
from tests.public.support import Subscribers
from tests.support import web


@pytest.fixture
def subscribers(app):
    return Subscribers(app)


def _mail_links(message):
    text = message.message.get_body(("plain",)).get_content()
    html = message.message.get_body(("html",)).get_content()
    return text, html


def test_the_confirmation_mail_says_why_and_its_link_suppresses_only_on_post(
        app, client, smtp, run_jobs):
    answer = web.submit(client, "/subscribe", {"email": "victim@example.com"})
    assert answer.status_code == 200
    run_jobs()
    (mail,) = smtp.messages
    text, html = _mail_links(mail)
    assert "Someone — hopefully you — asked on" in text
    assert "on the subscribe page http" in text and "/subscribe" in text
    assert "If this wasn't you" in text and "never get mail from us again" in text
    assert "click here to never get mail from us again</a>" in html
    text_link = re.search(r"(/not-me/[^\s]+)", text).group(1)
    html_link = re.search(r'href="[^"]*(/not-me/[^"]+)"', html).group(1)
    assert text_link == html_link

    page = client.get(text_link)
    assert page.status_code == 200 and "v***@example.com" in page.text
    assert "victim@example.com" not in page.text
    assert client.head(text_link).status_code == 200
    with app.app_context():  # a link scanner's GET changes nothing
        assert Suppression.query.count() == 0
        assert Subscriber.query.one().status == "pending"

    assert client.post(text_link, data={}).status_code == 400  # no CSRF token: nothing done
    done = client.post(text_link, data={"csrf_token": web.csrf_token(page.text)})
    assert done.status_code == 200 and "No more mail to this address" in done.text
    with app.app_context():
        row = Suppression.query.one()
        assert (row.email, row.reason, row.source) == ("victim@example.com", "not_me",
                                                       "subscriber")
        assert Subscriber.query.one().status == "unsubscribed"
    # Clicking again says the same, and signing up again sends nothing.
    assert "No more mail" in client.get(text_link).text
    web.submit(client, "/subscribe", {"email": "victim@example.com"})
    run_jobs()
    assert len(smtp.messages) == 1


def test_bad_expired_and_foreign_not_me_links_are_refused(app, client, subscribers):
    subscriber_id = subscribers.add("x@example.com", status="pending")
    good = subscribers.token("not-me", subscriber_id)
    assert client.get(f"/not-me/{good[:-3]}").status_code == 400
    expired = client.get(f"/not-me/{subscribers.old_token('not-me', subscriber_id, 91 * 24)}")
    assert expired.status_code == 400 and "expired" in expired.text
    assert client.get(f"/not-me/{subscribers.old_token('not-me', subscriber_id, 89 * 24)}") \
        .status_code == 200
    # A token of another purpose (the confirm link) is no "not me" link.
    assert client.get(f"/not-me/{subscribers.token('confirm', subscriber_id)}").status_code == 400
    # A link whose key was replaced (the address signed up again since) acts on nobody.
    stale = subscribers.token("not-me", subscriber_id, link_key="replaced-key")
    assert client.get(f"/not-me/{stale}").status_code == 400
    with app.app_context():
        assert Suppression.query.count() == 0
