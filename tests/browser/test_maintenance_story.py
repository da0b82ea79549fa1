"""Maintenance as an operator does it, in a real browser against a live server, with the
mail read from a real SMTP server: schedule (with a reminder), move it, post an update;
then the scheduler's tick, driven at a given time, sends the one reminder."""
from datetime import timedelta

import pytest

from tests.fanout.helpers import add_subscribers, enable_notifications
from tests.support import web

pytestmark = pytest.mark.browser


def _by_subject(messages, start):
    return [m for m in messages if m.message["Subject"].startswith(start)]


def test_schedule_move_update_and_remind_in_a_browser(live_app, page, smtp_server):
    from statusmail.models import utcnow
    smtp = smtp_server()
    web.use_smtp(live_app, smtp)
    enable_notifications(live_app, timezone="UTC")
    web.create_admin(live_app)
    add_subscribers(live_app, 1, prefix="reader")
    base = live_app.base_url
    page.goto(base + "/admin/")
    page.fill("input[name=email]", web.ADMIN_EMAIL)
    page.fill("input[name=password]", web.ADMIN_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(base + "/admin/")

    start = (utcnow() + timedelta(days=2)).replace(second=0, microsecond=0)
    page.goto(base + "/admin/maintenance/new")
    page.fill("input[name=title]", "Router upgrade")
    page.fill("input[name=starts_at]", f"{start:%Y-%m-%dT%H:%M}")
    page.fill("input[name=ends_at]", f"{start + timedelta(hours=1):%Y-%m-%dT%H:%M}")
    assert page.is_checked("input[name=notify_scheduled]")
    page.fill("input[name=reminder_minutes]", "30")
    page.get_by_role("button", name="Schedule").click()
    page.wait_for_selector("text=is scheduled; subscribers are being notified")

    moved = start + timedelta(days=1, hours=2)
    page.get_by_role("link", name="Edit").click()
    page.fill("input[name=starts_at]", f"{moved:%Y-%m-%dT%H:%M}")
    page.fill("input[name=ends_at]", f"{moved + timedelta(hours=1):%Y-%m-%dT%H:%M}")
    page.get_by_role("button", name="Save").click()
    page.wait_for_selector("text=subscribers are being told of the new time")

    page.fill("textarea[name=message]", "We start with the backup router.")
    page.get_by_role("button", name="Post update").click()
    page.wait_for_selector("text=Update posted; subscribers are being notified")

    from statusmail.services.scheduler import tick
    with live_app.app_context():
        tick(moved - timedelta(minutes=31))  # before the (re-armed) reminder: nothing
        tick(moved - timedelta(minutes=29))
        tick(moved - timedelta(minutes=28))
    web.drain_queues(live_app)
    received = smtp.wait_for(4)
    assert len(received) == 4 and {m.to for m in received} == {"reader0@example.org"}
    (rescheduled,) = _by_subject(received, "[Acme Status] Maintenance rescheduled")
    text = rescheduled.message.get_body(("plain",)).get_content()
    was, now = text.split("Now:")
    assert f"{start:%Y-%m-%d %H:%M} UTC" in was and f"{moved:%Y-%m-%d %H:%M} UTC" in now
    (update,) = _by_subject(received, "[Acme Status] Maintenance update")
    assert "We start with the backup router." in update.message.get_body(("plain",)).get_content()
    assert len(_by_subject(received, "[Acme Status] Reminder: maintenance Router upgrade")) == 1
    assert len(_by_subject(received, "[Acme Status] Scheduled maintenance")) == 1
    assert all(m.message["List-Id"] == "<status.localhost>" for m in received)
