""""This wasn't me", as the owner of a signed-up address does it: sign-up on the page,
the confirmation mail read off a real SMTP server, its link clicked in Chromium."""
import re

import pytest

from tests.fanout.helpers import enable_notifications
from tests.support import web

pytestmark = pytest.mark.browser


def test_a_stranger_stops_all_mail_from_the_confirmation_mail(live_app, page, smtp_server):
    from statusmail.models import Subscriber, Suppression
    smtp = smtp_server()
    web.use_smtp(live_app, smtp)
    enable_notifications(live_app, timezone="UTC")
    base = live_app.base_url

    page.goto(base + "/subscribe")  # the list bomber signs up someone else's address
    page.get_by_label("Email address").fill("victim@example.com")
    page.get_by_role("button", name="Subscribe").click()
    page.get_by_text("Check your inbox").wait_for()
    web.drain_queues(live_app)
    (mail,) = smtp.wait_for(1)
    html = mail.message.get_body(("html",)).get_content()
    text = mail.message.get_body(("plain",)).get_content()
    assert "Someone — hopefully you — asked on" in text and "If this wasn't you" in text
    link = re.search(r'href="([^"]+/not-me/[^"]+)"', html).group(1)
    assert link.startswith(base)

    # The victim opens the mail and clicks "click here to never get mail from us again".
    page.set_content(html)
    page.get_by_role("link", name="click here to never get mail from us again").click()
    page.get_by_role("heading", name="This wasn't me").wait_for()
    assert "v***@example.com" in page.content()
    with live_app.app_context():
        assert Suppression.query.count() == 0  # opening the page changed nothing
    page.get_by_role("button", name="Never mail this address again").click()
    page.get_by_role("heading", name="No more mail to this address").wait_for()
    with live_app.app_context():
        row = Suppression.query.one()
        assert (row.reason, row.source) == ("not_me", "subscriber")
        assert Subscriber.query.one().status == "unsubscribed"

    # The bomber tries again: the same answer, and no mail.
    page.goto(base + "/subscribe")
    page.get_by_label("Email address").fill("victim@example.com")
    page.get_by_role("button", name="Subscribe").click()
    page.get_by_text("Check your inbox").wait_for()
    web.drain_queues(live_app)
    assert len(smtp.messages) == 1
