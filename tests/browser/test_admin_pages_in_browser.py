"""Small admin flows a person does in a real browser: removing a subscriber asks once;
an incident's page leads to its notices' delivery progress."""
import pytest

from tests.support import web

pytestmark = pytest.mark.browser


def _log_in(page, base_url):
    page.goto(base_url + "/admin/login")
    page.fill("input[name=email]", web.ADMIN_EMAIL)
    page.fill("input[name=password]", web.ADMIN_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(base_url + "/admin/")


def test_removing_a_subscriber_asks_once(live_app, page):
    from statusmail.extensions import db
    from statusmail.models import Subscriber
    web.create_admin(live_app)
    with live_app.app_context():
        db.session.add_all([Subscriber(email="stay@example.org", status="confirmed"),
                            Subscriber(email="leave@example.org", status="confirmed")])
        db.session.commit()
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    _log_in(page, live_app.base_url)
    page.goto(live_app.base_url + "/admin/subscribers")
    page.locator("tr", has_text="leave@example.org").get_by_role("link", name="Remove…").click()
    page.wait_for_selector("h1:has-text('Remove leave@example.org?')")
    assert page.locator("main input[type=checkbox]").count() == 0

    with page.expect_navigation():
        page.get_by_role("button", name="Remove subscriber").click()
    assert dialogs == []  # the page asked; the browser does not ask again
    assert "leave@example.org is removed" in page.text_content(".flash")
    assert page.url.endswith("/admin/subscribers")
    with live_app.app_context():
        assert [s.email for s in Subscriber.query] == ["stay@example.org"]


def test_the_incident_page_leads_to_delivery_progress(live_app, page):
    from tests.admin.test_delivery_log import publish
    from statusmail.extensions import db
    from statusmail.models import Notification, SiteSettings, Subscriber, utcnow
    web.create_admin(live_app)
    with live_app.app_context():
        SiteSettings.get().notifications_enabled = True
        db.session.add(Subscriber(email="reader@example.org", status="confirmed",
                                  confirmed_at=utcnow()))
        db.session.commit()
    notification_id = publish(live_app, title="Checkout is down")
    with live_app.app_context():
        incident_id = db.session.get(Notification, notification_id).incident_id
    _log_in(page, live_app.base_url)
    page.goto(f"{live_app.base_url}/admin/incidents/{incident_id}")
    with page.expect_navigation():
        page.locator("#notices").get_by_role("link", name="Delivery progress").click()
    assert page.url.endswith(f"/admin/deliveries/{notification_id}#progress")
    assert "Checkout is down" in page.text_content("h1")
    assert page.get_attribute("#progress", "data-state") in ("sending", "completed")
