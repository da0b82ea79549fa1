"""A subscriber's own controls in a real browser against a live server, the mail read
from a real SMTP server: "Email me my manage link" from the status page, and a pending
subscription's locked preferences with the confirmation mail sent again."""
import re

import pytest

from tests.fanout.helpers import enable_notifications
from tests.public.support import Subscribers
from tests.support import web

pytestmark = pytest.mark.browser


def _link(message, path):
    text = message.message.get_body(("plain",)).get_content()
    return re.search(rf"https?://\S+/{path}/\S+", text).group(0)


def test_email_me_my_manage_link_from_the_status_page(live_app, page, smtp_server):
    smtp = smtp_server()
    web.use_smtp(live_app, smtp)
    enable_notifications(live_app, timezone="UTC")
    Subscribers(live_app).add("reader@example.org")
    page.goto(live_app.base_url + "/")
    page.get_by_text("Already subscribed? Email me my manage link").click()
    form = page.locator("form.manage-link-form")
    form.locator("input[name=email]").fill("Reader@Example.org")
    form.get_by_role("button", name="Email me my link").click()
    page.wait_for_selector("text=Check your inbox")
    assert "reader@example.org" not in page.content().lower()

    web.drain_queues(live_app)
    (mail,) = smtp.wait_for(1)
    assert mail.rcpt_tos == ["reader@example.org"]
    page.goto(_link(mail, "manage"))
    page.wait_for_selector("text=Your notification preferences")
    page.uncheck("input[name=notify_component_changes]")
    page.get_by_role("button", name="Save preferences").click()
    page.wait_for_selector("text=Your preferences are saved.")


def test_pending_preferences_are_locked_until_confirmed(live_app, page, smtp_server):
    smtp = smtp_server()
    web.use_smtp(live_app, smtp)
    enable_notifications(live_app, timezone="UTC")
    subscribers = Subscribers(live_app)
    sid = subscribers.add("waiting@example.org", status="pending")
    manage = f"{live_app.base_url}/manage/{subscribers.token('manage', sid)}"
    page.goto(manage)
    page.wait_for_selector("text=cannot be saved yet")
    assert page.is_disabled("input[name=notify_incidents]")
    assert page.get_by_role("button", name="Save preferences").is_disabled()
    page.get_by_role("button", name="Send the confirmation mail again").click()
    page.wait_for_selector("text=A new link is on its way")

    web.drain_queues(live_app)
    (mail,) = smtp.wait_for(1)
    page.goto(_link(mail, "confirm"))
    page.get_by_role("button", name="Confirm subscription").click()
    page.wait_for_selector("text=You are subscribed")
    page.goto(manage)
    assert page.is_enabled("input[name=notify_incidents]")
