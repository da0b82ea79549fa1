"""The mail templates page in a real browser: the preview follows what the operator types
(subject, text and the sandboxed HTML part), a template that does not render shows its
error on the field, as it types and on save; without JavaScript the Preview button does
the same; branding is saved and shows in the preview."""
import pytest

from tests.browser.test_captured_preview import DESKTOP, _log_in
from tests.support import web

pytestmark = pytest.mark.browser


@pytest.fixture
def operator(live_app):
    web.create_admin(live_app)
    return live_app


def test_live_preview_errors_on_the_field_and_save(operator, new_page):
    base = operator.base_url
    page = new_page(viewport=DESKTOP)
    _log_in(page, base)
    page.click("nav >> text=Mail templates")
    page.fill("input[name=logo_url]", "https://cdn.example.com/logo.png")
    page.fill("input[name=accent_color]", "#aa3300")
    page.click("text=Save branding")
    assert page.locator(".flash-success").inner_text() == "Mail branding saved."

    page.click("text=Incident created")
    subject = page.locator("[data-preview-subject]")
    assert subject.inner_text() == "[Status] Incident: Elevated error rates on the API"
    page.fill("input[name=subject]", "{{ page_name }} — {{ title|upper }}")
    page.wait_for_function("""() => document.querySelector('[data-preview-subject]')
        .textContent === 'Status — ELEVATED ERROR RATES ON THE API'""")
    page.fill("textarea[name=intro]", "**Heads up**: {{ components }}")
    page.wait_for_function("""() => document.querySelector('[data-preview-text]')
        .textContent.startsWith('Heads up: API, Dashboard')""")
    frame = page.frame_locator("iframe[data-preview-html]")
    frame.locator("strong", has_text="Heads up").wait_for()
    assert frame.locator("img").get_attribute("src") == "https://cdn.example.com/logo.png"

    page.fill("input[name=subject]", "{{ ''.__class__ }}")
    error = page.locator("input[name=subject] ~ [data-live-error]")
    error.wait_for(state="visible")
    assert "attributes" in error.inner_text()
    page.click("button:text-is('Save')")
    assert "attributes" in page.locator(".field.has-error .error").first.inner_text()

    page.fill("input[name=subject]", "[{{ page_name }}] {{ title }}")
    page.click("button:text-is('Save')")
    assert page.locator(".flash-success").inner_text() == "Incident created: mail saved."
    assert page.input_value("input[name=subject]") == "[{{ page_name }}] {{ title }}"
    page.click("text=← Mail templates")
    assert page.locator("code", has_text="[{{ page_name }}] {{ title }}").is_visible()


def test_without_javascript_the_preview_button_shows_the_change(operator, new_page):
    base = operator.base_url
    page = new_page(viewport=DESKTOP, java_script_enabled=False)
    _log_in(page, base)
    page.goto(base + "/admin/mail-templates/maintenance_scheduled")
    page.fill("input[name=subject]", "Planned: {{ title }} at {{ starts }}")
    page.click("button:text-is('Preview')")
    assert page.locator("[data-preview-subject]").inner_text() == \
        "Planned: Database upgrade at 2026-01-20 22:00 UTC"
    page.fill("input[name=subject]", "{{ nope }}")
    page.click("button:text-is('Preview')")
    assert "Unknown variable “nope”" in page.locator(".field.has-error .error").inner_text()
