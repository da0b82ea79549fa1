"""The whole product as a person meets it, in a real browser against a live server, a
real worker process and a real SMTP server with STARTTLS and AUTH:

log in → configure SMTP → test send → subscribe from the status page's widget → confirm
from the received mail → see the subscriber in the list → export → post an incident →
unsubscribe in one click from the notice's List-Unsubscribe header.
"""
import csv
import re

import pytest
import requests

from tests.support import processes, web
from tests.support.certs import make_self_signed, server_context

SMTP_LOGIN, SMTP_PASSWORD = "mailer", "smtp pass phrase"
SUBSCRIBER = "reader@example.org"


def _text_part(received):
    return received.message.get_body(("plain",)).get_content()


@pytest.mark.browser
def test_operator_and_subscriber_story(live_app, page, smtp_server, tmp_path):
    web.create_admin(live_app)
    smtp = smtp_server(tls_context=server_context(*make_self_signed(tmp_path)),
                       users={SMTP_LOGIN: SMTP_PASSWORD})
    worker = processes.start_flask("worker", env={"STATUSMAIL_BASE_URL": live_app.base_url})
    base = live_app.base_url
    try:
        page.goto(base + "/admin/")
        page.fill("input[name=email]", web.ADMIN_EMAIL)
        page.fill("input[name=password]", web.ADMIN_PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(base + "/admin/")

        # Email settings: SMTP with STARTTLS and AUTH; the server's certificate is
        # self-signed, so the operator names it as the one unverified host.
        page.goto(base + "/admin/email")
        page.check("input[name=provider][value=smtp]")
        page.fill("input[name=smtp_host]", smtp.host)
        page.fill("input[name=smtp_port]", str(smtp.port))
        page.check("input[name=smtp_security][value=starttls]")
        page.fill("input[name=smtp_username]", SMTP_LOGIN)
        page.fill("input[name=smtp_password]", SMTP_PASSWORD)
        page.click("text=Timeout and self-signed certificates")
        page.fill("input[name=smtp_tls_unverified_host]", smtp.host)
        page.fill("input[name=from_address]", "status@example.com")
        page.fill("input[name=from_name]", "Example Status")
        page.get_by_role("button", name=re.compile("^Save")).click()
        page.wait_for_selector(".flash")
        assert SMTP_PASSWORD not in page.content()

        page.goto(base + "/admin/email/test")
        page.fill("input[name=recipient]", "ops@example.com")
        page.click("text=Send test mail")
        page.wait_for_selector("text=Sent: the server accepted the mail")
        assert "250" in page.text_content(".outcome")
        assert smtp.wait_for(1)[0].rcpt_tos == ["ops@example.com"]

        page.goto(base + "/admin/")
        page.get_by_role("button", name="Turn notifications on").click()
        page.wait_for_selector(".flash:has-text('Email notifications are on')")

        # A visitor subscribes from the widget embedded in the status page.
        page.goto(base + "/")
        widget = page.frame_locator("iframe.subscribe-widget")
        widget.get_by_label("Email address").fill(SUBSCRIBER)
        widget.get_by_role("button", name="Subscribe").click()
        widget.get_by_text("Check your inbox").wait_for()

        confirmation = processes.wait_until(lambda: smtp.to(SUBSCRIBER), message="confirmation")
        link = re.search(r"http://\S+/confirm/\S+", _text_part(confirmation[0])).group(0)
        page.goto(link)
        page.get_by_role("button", name=re.compile("Confirm", re.I)).click()
        page.wait_for_selector("h1:has-text('You are subscribed')")

        page.goto(base + "/admin/subscribers")
        row = page.locator("tr", has_text=SUBSCRIBER)
        assert "confirmed" in row.inner_text().lower()

        # The export runs as a job; its page follows the progress and offers the file.
        page.click("text=/Export/")
        download_link = page.get_by_role("link", name="Download CSV")
        download_link.wait_for()
        with page.expect_download() as download:
            download_link.click()
        with open(download.value.path(), newline="") as fh:
            exported = list(csv.DictReader(fh))
        assert [(r["email"], r["status"]) for r in exported] == [(SUBSCRIBER, "confirmed")]

        # An incident with "notify subscribers" on reaches the subscriber.
        page.goto(base + "/admin/incidents/new")
        page.fill("input[name=title]", "Checkout is slow")
        page.fill("textarea[name=message]", "We are looking into slow checkouts.")
        page.get_by_role("button", name="Open incident").click()
        page.wait_for_selector("h1:has-text('Checkout is slow')")
        notice = processes.wait_until(lambda: smtp.to(SUBSCRIBER)[1:], message="incident notice")
        assert len(notice) == 1 and "Checkout is slow" in notice[0].message["Subject"]

        # One click, as a mailbox provider does it: a POST without cookies or CSRF token.
        assert notice[0].message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        one_click = notice[0].message["List-Unsubscribe"].strip("<>")
        answer = requests.post(one_click, data={"List-Unsubscribe": "One-Click"}, timeout=10)
        assert answer.status_code == 200

        page.goto(base + "/admin/subscribers")
        assert "unsubscribed" in page.locator("tr", has_text=SUBSCRIBER).inner_text().lower()
    finally:
        processes.stop(worker)
