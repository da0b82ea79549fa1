"""What a subscriber receives: one well-formed, personal, escaped mail per notice."""
import re

import pytest

from statusmail.extensions import db
from statusmail.models import Delivery, Subscriber
from statusmail.models.notifications import EVENT_KINDS
from tests.support.web import use_smtp

from .helpers import (
    add_component, add_subscribers, enable_notifications, notification_state,
    publish_component_change, publish_incident, publish_maintenance, recipients,
)

ONE_CLICK = re.compile(rb"^List-Unsubscribe: <(http://statusmail\.test/unsubscribe/([^/>]+)"
                       rb"/one-click)>\r$", re.M)


def test_each_subscriber_gets_one_personal_mail(app, smtp, run_jobs):
    enable_notifications(app)
    use_smtp(app, smtp, reply_to="help@example.com")
    api = add_component(app, "API")
    emails = add_subscribers(app, 3)
    notification = publish_incident(app, title="Login <script>alert(1)</script> & errors",
                                    component_ids=[api], message="Line one\n<b>not bold</b>")
    run_jobs()

    assert recipients(smtp) == sorted(emails)
    message_ids, unsubscribe_urls = set(), set()
    for received in smtp.messages:
        mail = received.message
        assert mail["To"] == received.to
        assert mail["Auto-Submitted"] == "auto-generated"
        assert mail["Reply-To"] == "help@example.com"
        assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert re.fullmatch(rf"<n{notification}\.d\d+\.[0-9a-f]+@example\.com>", mail["Message-ID"])
        message_ids.add(mail["Message-ID"])
        found = ONE_CLICK.search(received.raw)
        assert found, "List-Unsubscribe must be one unfolded <URL>"
        unsubscribe_urls.add(found.group(1))

        assert mail["Subject"] == "[Acme Status] Incident: Login <script>alert(1)</script> & errors"
        text = mail.get_body(("plain",)).get_content()
        html = mail.get_body(("html",)).get_content()
        assert "Login <script>alert(1)</script> & errors" in text
        assert "<script>" not in html
        assert "Login &lt;script&gt;alert(1)&lt;/script&gt; &amp; errors" in html
        assert "&lt;b&gt;not bold&lt;/b&gt;" in html
        assert "API" in text and "Major outage" in text
        assert "http://statusmail.test/incidents/" in text
        assert "/manage/" in text and "/manage/" in html and "/unsubscribe/" in html
    assert len(message_ids) == 3 and len(unsubscribe_urls) == 3
    assert notification_state(app, notification) == "completed"

    with app.app_context():
        rows = Delivery.query.filter_by(notification_id=notification).all()
        assert {row.state for row in rows} == {"sent"}
        assert {row.message_id for row in rows} == message_ids
        assert all(row.smtp_code == 250 and row.sent_at for row in rows)


def test_one_click_unsubscribe_from_the_header_works(app, smtp, run_jobs):
    enable_notifications(app)
    use_smtp(app, smtp)
    add_subscribers(app, 1)
    publish_incident(app)
    run_jobs()
    url = ONE_CLICK.search(smtp.wait_for(1)[0].raw).group(1).decode()

    # A mail client posts without cookies or CSRF token.
    response = app.test_client().post(url.removeprefix("http://statusmail.test"),
                                      data="List-Unsubscribe=One-Click",
                                      content_type="application/x-www-form-urlencoded")
    assert response.status_code < 400
    with app.app_context():
        assert db.session.scalar(db.select(Subscriber.status)) == "unsubscribed"


def test_maintenance_window_is_given_in_utc_and_the_operator_zone(app, smtp, run_jobs):
    enable_notifications(app, timezone="Europe/Berlin")
    use_smtp(app, smtp)
    add_subscribers(app, 1)
    publish_maintenance(app)
    run_jobs()
    mail = smtp.wait_for(1)[0].message
    text = mail.get_body(("plain",)).get_content()
    assert "Europe/Berlin" in text
    assert re.search(r"Starts: \d{4}-\d\d-\d\d \d\d:\d\d CES?T \(\d{4}-\d\d-\d\d \d\d:\d\d UTC\)",
                     text)
    assert "/maintenance/" in text


SUBJECTS = {
    "incident_created": "[Acme Status] Incident: Database outage",
    "incident_updated": "[Acme Status] Investigating: Database outage",
    "incident_resolved": "[Acme Status] Resolved: Database outage",
    "maintenance_scheduled": "[Acme Status] Scheduled maintenance: Router upgrade (",
    "maintenance_started": "[Acme Status] Maintenance in progress: Router upgrade",
    "maintenance_completed": "[Acme Status] Maintenance completed: Router upgrade",
    "maintenance_cancelled": "[Acme Status] Maintenance cancelled: Router upgrade (",
    "maintenance_rescheduled": "[Acme Status] Maintenance rescheduled: Router upgrade (now ",
    "maintenance_reminder": "[Acme Status] Reminder: maintenance Router upgrade starts ",
    "maintenance_updated": "[Acme Status] Maintenance update: Router upgrade",
    "component_status_changed": "[Acme Status] API: Partial outage",
}


def test_every_event_kind_is_checked_below():
    assert set(SUBJECTS) == set(EVENT_KINDS)


@pytest.mark.parametrize("kind, subject", SUBJECTS.items())
def test_every_event_kind_has_a_text_and_html_notice(app, smtp, run_jobs, kind, subject):
    enable_notifications(app)
    api = add_component(app, "API")
    add_subscribers(app, 1)
    if kind.startswith("incident"):
        publish_incident(app, kind=kind, component_ids=[api])
    elif kind.startswith("maintenance"):
        publish_maintenance(app, kind=kind, component_ids=[api])
    else:
        publish_component_change(app, api)
    run_jobs()
    mail = smtp.wait_for(1)[0].message
    assert mail["Subject"].startswith(subject)
    for part in ("plain", "html"):
        body = mail.get_body((part,)).get_content()
        assert "Acme Status" in body and "API" in body and EVENT_KINDS[kind] in body
        assert "/manage/" in body and "/unsubscribe/" in body
