"""Email settings in a real browser: one provider's section at a time with JavaScript, every
section (each saying when it is used) without, and "Test these settings" pressed by a
person, on a desktop and on a phone."""
import pytest

from statusmail.models import SiteSettings
from tests.browser.conftest import PHONE
from tests.support import web

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 800}
# The page was 2,970 px tall with every section open; now about 1,550 px with capture and
# 2,100 px with SMTP chosen, at 1280 px wide.
MOST_CAPTURE_TAKES, MOST_SMTP_TAKES = 1800, 2300
_HEIGHT = "() => document.documentElement.scrollHeight"
_SIDEWAYS = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"


def _log_in(page, base_url):
    page.goto(base_url + "/admin/login")
    page.fill("input[name=email]", web.ADMIN_EMAIL)
    page.fill("input[name=password]", web.ADMIN_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(base_url + "/admin/")


@pytest.fixture
def operator(live_app, new_page):
    """``operator(**context_options)``: a logged-in page on the settings page."""
    web.create_admin(live_app)

    def open_page(**options):
        page = new_page(**options)
        _log_in(page, live_app.base_url)
        page.goto(live_app.base_url + "/admin/email")
        return page

    return open_page


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_only_the_chosen_provider_shows_and_typed_values_can_be_tried(
        live_app, operator, smtp_server, viewport):
    server = smtp_server()
    page = operator(viewport=viewport)
    smtp, sendgrid = page.locator("#smtp"), page.locator("#sendgrid")
    assert page.is_checked("input[name=provider][value=capture]")
    assert smtp.is_hidden() and sendgrid.is_hidden()
    if viewport is DESKTOP:
        assert page.evaluate(_HEIGHT) < MOST_CAPTURE_TAKES
    assert page.evaluate(_SIDEWAYS) <= 0

    page.check("input[name=provider][value=sendgrid]")
    assert sendgrid.is_visible() and smtp.is_hidden()
    page.check("input[name=provider][value=smtp]")
    assert smtp.is_visible() and sendgrid.is_hidden()
    if viewport is DESKTOP:
        assert page.evaluate(_HEIGHT) < MOST_SMTP_TAKES

    page.fill("input[name=smtp_host]", server.host)
    page.fill("input[name=smtp_port]", str(server.port))
    page.check("input[name=smtp_security][value=none]")
    page.fill("input[name=from_address]", "typed@example.org")
    page.fill("input[name=trial_recipient]", "ops@example.com")
    page.get_by_role("button", name="Test these settings").click()
    page.wait_for_selector("text=Tried, not saved")
    assert "Sent: the server accepted the mail" in page.text_content("#trial-result")
    assert server.wait_for(1)[0].rcpt_tos == ["ops@example.com"]
    # The typed values are still in the form, the SMTP section still open: Save is one press.
    assert smtp.is_visible() and page.input_value("input[name=smtp_host]") == server.host
    assert page.evaluate(_SIDEWAYS) <= 0
    with live_app.app_context():
        assert SiteSettings.get().provider == "capture"

    page.get_by_role("button", name="Save settings").click()
    page.wait_for_selector("text=Email settings saved")
    with live_app.app_context():
        saved = SiteSettings.get()
        assert (saved.provider, saved.smtp_port) == ("smtp", server.port)


def test_without_javascript_every_section_shows_and_says_when_it_is_used(live_app, operator):
    page = operator(viewport=DESKTOP, java_script_enabled=False)
    for section, note in (("#smtp", "Used when “SMTP server” is the provider."),
                          ("#sendgrid", "Used when “SendGrid API” is the provider.")):
        assert page.locator(section).is_visible()
        assert note in page.text_content(section)
    page.fill("input[name=status_page_name]", "Chosen without a script")
    page.get_by_role("button", name="Save settings").click()
    page.wait_for_selector("text=Email settings saved")
    with live_app.app_context():
        assert SiteSettings.get().status_page_name == "Chosen without a script"


def test_a_section_with_an_error_stays_in_view(live_app, operator):
    page = operator(viewport=DESKTOP)
    page.check("input[name=provider][value=smtp]")
    page.fill("input[name=smtp_port]", "99999")
    page.check("input[name=provider][value=capture]")  # changed their mind
    assert page.locator("#smtp").is_hidden()
    page.get_by_role("button", name="Save settings").click()
    page.wait_for_selector("text=Nothing was saved")
    # Capture is chosen, but the port is wrong: the section that holds it shows.
    assert page.locator("#smtp").is_visible()
    assert "Enter a port from 1 to 65535." in page.text_content("#smtp")
