"""An operator adds subscribers in a real browser: one with a confirmation mail (read from
a real SMTP server and acted on), one confirmed with a consent note; then marks a pending
one confirmed. Each shows in the subscriber's history."""
import re

import pytest

from tests.fanout.helpers import enable_notifications
from tests.support import web

pytestmark = pytest.mark.browser


def _log_in(page, base):
    page.goto(base + "/admin/")
    page.fill("input[name=email]", web.ADMIN_EMAIL)
    page.fill("input[name=password]", web.ADMIN_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(base + "/admin/")


def _add(page, base, email):
    page.goto(base + "/admin/subscribers")
    page.get_by_role("link", name="Add subscriber").click()
    page.fill("input[name=email]", email)


def test_add_subscribers_and_mark_one_confirmed(live_app, page, smtp_server):
    smtp = smtp_server()
    web.use_smtp(live_app, smtp)
    enable_notifications(live_app, timezone="UTC")
    web.create_admin(live_app)
    base = live_app.base_url
    _log_in(page, base)

    _add(page, base, "invited@example.org")
    page.check("input[name=confirm][value=send]")
    page.get_by_role("button", name="Add subscriber").click()
    page.wait_for_selector("text=a confirmation mail is on its way")
    page.wait_for_selector("text=Added; a confirmation mail was sent")
    invited_url = page.url
    web.drain_queues(live_app)
    (mail,) = smtp.wait_for(1)
    assert mail.rcpt_tos == ["invited@example.org"]

    _add(page, base, "phoned@example.org")
    page.check("input[name=confirm][value=skip]")
    page.get_by_role("button", name="Add subscriber").click()
    page.wait_for_selector("p.error >> text=consent note")
    page.fill("textarea[name=consent_note]", "asked by phone 2026-12-01")
    page.get_by_role("button", name="Add subscriber").click()
    page.wait_for_selector("text=phoned@example.org is added and confirmed.")
    page.wait_for_selector("text=asked by phone 2026-12-01")

    page.goto(invited_url)
    page.fill("textarea[name=consent_note]", "confirmed in person at the stand")
    page.get_by_role("button", name="Mark confirmed").click()
    page.wait_for_selector("text=invited@example.org is confirmed")
    page.wait_for_selector("text=Marked confirmed, without a confirmation mail")
    assert page.locator("span.badge-confirmed").count() == 1

    # The mailed link still lands well: the address is confirmed already.
    link = re.search(r"https?://\S+/confirm/\S+", mail.message.get_body(("plain",)).get_content())
    page.goto(link.group(0))
    page.wait_for_selector("text=Already confirmed")
