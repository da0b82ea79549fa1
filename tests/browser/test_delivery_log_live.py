"""The delivery log's live progress in a real browser: the bar follows the JSON while a
real worker sends, without reloading; the page reloads once when the notice is done."""
import pytest

from tests.admin.test_delivery_log import publish, run_one_job
from tests.support import web

pytestmark = pytest.mark.browser


@pytest.fixture
def sending_setup(live_app, smtp_server):
    from statusmail.extensions import db
    from statusmail.models import SiteSettings, Subscriber, utcnow
    live_app.config["FANOUT_BATCH_SIZE"] = 2
    server = smtp_server()
    web.use_smtp(live_app, server)
    web.create_admin(live_app)
    with live_app.app_context():
        SiteSettings.get().notifications_enabled = True
        db.session.add_all(Subscriber(email=f"live{n}@example.net", status="confirmed",
                                      confirmed_at=utcnow()) for n in range(5))
        db.session.commit()
    return server


def _log_in(page, base_url):
    page.goto(base_url + "/admin/login")
    page.fill("input[name=email]", web.ADMIN_EMAIL)
    page.fill("input[name=password]", web.ADMIN_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(base_url + "/admin/")


def test_progress_bar_follows_the_worker(live_app, sending_setup, page, run_jobs):
    _log_in(page, live_app.base_url)
    notification_id = publish(live_app)
    page.goto(f"{live_app.base_url}/admin/deliveries/{notification_id}")
    assert page.text_content('[data-field="percent"]') == "0"
    page.evaluate("window.notReloaded = true")

    run_one_job(live_app)  # 2 of 5 sent
    page.wait_for_function(
        "() => document.querySelector('[data-field=\"percent\"]').textContent === '40'")
    assert page.eval_on_selector('[data-field="bar"]', "bar => bar.style.width") == "40%"
    assert page.text_content('[data-count="sent"]') == "2"
    assert page.text_content('[data-count="queued"]') == "3"
    assert page.evaluate("window.notReloaded") is True  # updated in place

    run_jobs()
    page.wait_for_function("() => window.notReloaded === undefined")  # reloaded once, when done
    page.wait_for_selector("#progress:not([data-poll-url])")
    assert page.text_content('[data-field="percent"]') == "100"
    assert page.text_content('[data-count="sent"]') == "5"
    assert len(sending_setup.wait_for(5)) == 5


def test_cancel_asks_first(live_app, sending_setup, page):
    _log_in(page, live_app.base_url)
    notification_id = publish(live_app)
    page.goto(f"{live_app.base_url}/admin/deliveries/{notification_id}")

    page.once("dialog", lambda dialog: dialog.dismiss())
    page.click("text=Cancel sending")
    assert page.text_content('[data-field="state"]') == "sending"

    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        page.click("text=Cancel sending")
    assert "Sending is cancelled" in page.text_content(".flash")
    assert page.text_content('[data-field="state"]') == "cancelled"


def test_a_4xx_turns_the_page_to_waiting_for_retries(live_app, sending_setup, page, run_jobs):
    """A real server greylists one recipient: the open page reloads itself into "waiting
    for retries", lists the delivery with its reply, and shows no falling rate."""
    sending_setup.rcpt_replies["live4@example.net"] = "451 4.7.1 Greylisted, try again later"
    _log_in(page, live_app.base_url)
    notification_id = publish(live_app)
    page.goto(f"{live_app.base_url}/admin/deliveries/{notification_id}")
    assert page.get_attribute("#progress", "data-state") == "sending"

    run_jobs()
    page.wait_for_selector('#progress[data-state="waiting_for_retries"]')  # reloaded by itself
    assert page.text_content('#progress [data-field="state"]') == "waiting for retries"
    assert page.is_visible("text=Next attempt") and not page.is_visible('[data-field="rate"]')
    row = page.locator("#waiting tbody tr")
    assert row.count() == 1
    assert "live4@example.net" in row.text_content()
    assert "451" in row.text_content() and "Greylisted" in row.text_content()
    assert page.text_content('[data-count="sent"]') == "4"
    assert len(sending_setup.wait_for(4)) == 4


def test_the_waiting_list_fits_a_phone(live_app, sending_setup, new_page, run_jobs):
    sending_setup.rcpt_replies["live4@example.net"] = (
        "451 4.7.1 <live4@example.net>: Recipient address rejected: Greylisted for 5 minutes, "
        "see https://postmaster.example.net/greylisting/explained-at-length")
    page = new_page(viewport={"width": 390, "height": 844})
    _log_in(page, live_app.base_url)
    notification_id = publish(live_app)
    run_jobs()
    page.goto(f"{live_app.base_url}/admin/deliveries/{notification_id}")
    page.wait_for_selector("#waiting tbody tr")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
