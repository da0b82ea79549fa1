"""The captured-mail preview in a real browser: the whole mail shows, footer included (the
frame grows to its content), on a desktop and on a phone; headers and raw source open on
demand; without JavaScript the part is one link away."""
import pytest

from tests.admin.test_captured import _capture
from tests.browser.conftest import PHONE
from tests.support import web

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 800}
# A long mail: the footer with the manage and unsubscribe links sits far below 480 px.
LONG_MAIL = ("<div style=\"font-family:sans-serif\">"
             + "".join(f"<p style=\"margin:0 0 18px\">Update paragraph {n}.</p>" for n in range(60))
             + "<p class=\"footer\"><a href=\"https://status.example.com/manage/x\">Manage</a> · "
               "<a href=\"https://status.example.com/u/x\">Unsubscribe</a></p></div>")
_FIT = """() => {
  const frame = document.querySelector('iframe.mail-preview');
  const inner = frame.contentDocument.documentElement;
  const footer = frame.contentDocument.querySelector('.footer').getBoundingClientRect();
  return {frame: frame.clientHeight, content: inner.scrollHeight, footerBottom: footer.bottom,
          sideways: document.documentElement.scrollWidth - document.documentElement.clientWidth};
}"""


def _log_in(page, base_url):
    page.goto(base_url + "/admin/login")
    page.fill("input[name=email]", web.ADMIN_EMAIL)
    page.fill("input[name=password]", web.ADMIN_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(base_url + "/admin/")


@pytest.fixture
def long_mail(live_app):
    web.create_admin(live_app)
    return _capture(live_app, html=LONG_MAIL, subject="A long notice")


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_whole_mail_shows_and_headers_and_source_open_on_demand(
        live_app, new_page, long_mail, viewport):
    page = new_page(viewport=viewport)
    _log_in(page, live_app.base_url)
    page.goto(f"{live_app.base_url}/admin/captured/{long_mail}")
    page.wait_for_selector("iframe.mail-preview.fitted")
    fit = page.evaluate(_FIT)
    assert fit["content"] > 1000, fit  # long enough that a fixed height would cut it
    assert fit["frame"] >= fit["content"] and fit["footerBottom"] <= fit["frame"], fit
    assert fit["sideways"] <= 0, fit
    footer = page.frame_locator("iframe.mail-preview").get_by_text("Unsubscribe")
    footer.scroll_into_view_if_needed()
    assert footer.is_visible()

    # A narrower window makes the mail taller: the frame follows.
    page.set_viewport_size({"width": 360, "height": 800})
    page.wait_for_function("""() => { const f = document.querySelector('iframe.mail-preview');
        return f.clientHeight >= f.contentDocument.documentElement.scrollHeight; }""")

    assert page.locator("#headers table").is_hidden()
    page.click("#headers summary")
    assert page.locator("#headers").get_by_text("List-Unsubscribe").is_visible()
    assert page.locator("pre.mail-raw").is_hidden()
    page.click("#raw-source summary")
    raw = page.locator("pre.mail-raw")
    assert raw.is_visible() and "Content-Type: text/html" in raw.text_content()
    assert "Update paragraph 59." in raw.text_content()
    with page.expect_navigation():
        page.click("text=Open as plain text")
    assert page.evaluate("() => document.contentType") == "text/plain"
    assert "MIME-Version: 1.0" in page.text_content("body")


def test_without_javascript_the_part_is_tall_and_one_link_away(live_app, new_page, long_mail):
    page = new_page(viewport=DESKTOP, java_script_enabled=False)
    _log_in(page, live_app.base_url)
    page.goto(f"{live_app.base_url}/admin/captured/{long_mail}")
    frame = page.locator("iframe.mail-preview")
    assert frame.evaluate("f => f.clientHeight") >= 600  # 80vh, not a sliver
    link = page.get_by_role("link", name="Open it on its own")
    assert link.get_attribute("href") == f"/admin/captured/{long_mail}/html"
    whole = page.context.new_page()
    whole.goto(live_app.base_url + link.get_attribute("href"))
    assert whole.get_by_text("Unsubscribe").is_visible()
