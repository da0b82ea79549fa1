"""The DKIM page in a real browser: a person follows the link from Email settings,
generates a key, pastes garbage and is told why, enables the key — on a desktop and on
a phone, where the long DNS record must wrap instead of widening the page."""
import pytest

from statusmail.extensions import db
from statusmail.models import DkimKey
from tests.browser.conftest import PHONE
from tests.support import web

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 800}
_SIDEWAYS = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_generate_paste_garbage_and_enable(live_app, new_page, viewport):
    web.create_admin(live_app)
    base = live_app.base_url
    page = new_page(viewport=viewport)
    page.goto(base + "/admin/login")
    page.fill("input[name=email]", web.ADMIN_EMAIL)
    page.fill("input[name=password]", web.ADMIN_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(base + "/admin/")

    page.goto(base + "/admin/email")
    page.click("text=DKIM signing")
    page.wait_for_url(base + "/admin/email/dkim")
    assert "Mail goes out unsigned" in page.inner_text("#dkim-state")

    generate = page.locator("#generate form")
    generate.locator("input[name=generate-domain]").fill("example.com")
    assert generate.locator("input[name=generate-selector]").input_value() == "statusmail1"
    assert generate.locator("input[name=generate-algorithm][value=rsa]").is_checked()
    generate.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert "RSA key generated for statusmail1" in page.inner_text(".flash-success")
    card = page.locator("section.dkim-key[data-selector=statusmail1]")
    assert card.locator(".dkim-record-name").inner_text() == "statusmail1._domainkey.example.com"
    assert card.locator(".dkim-record-value").inner_text().startswith("v=DKIM1; k=rsa; p=MIIB")
    assert page.evaluate(_SIDEWAYS) <= 0

    paste = page.locator("#paste form")
    paste.locator("input[name=paste-domain]").fill("example.com")
    paste.locator("input[name=paste-selector]").fill("old2019")
    paste.locator("textarea[name=paste-private_key]").fill("this is not a key at all")
    paste.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert "not a PEM private key" in page.inner_text("#paste")
    assert page.locator("textarea[name=paste-private_key]").input_value() == ""

    page.locator("section.dkim-key[data-selector=statusmail1] button",
                 has_text="Enable signing").click()
    page.wait_for_load_state()
    assert "Mail is now signed with statusmail1" in page.inner_text(".flash-success")
    assert "signing" in page.inner_text("section.dkim-key[data-selector=statusmail1] h2")
    assert "Every mail sent over SMTP or captured is signed" in page.inner_text("#dkim-state")
    assert page.evaluate(_SIDEWAYS) <= 0
    with live_app.app_context():
        assert [(k.selector, k.enabled) for k in db.session.scalars(db.select(DkimKey))] == [
            ("statusmail1", True)]
