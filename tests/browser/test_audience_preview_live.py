"""The audience preview follows the operator's choices in a real browser: picking a
component or unticking "notify" changes the sentence before anything is sent."""
import pytest

from tests.fanout.helpers import add_component, add_subscribers, enable_notifications
from tests.support import web

SENTENCE = "[data-audience] [data-audience-sentence]"


def _log_in(page, base):
    page.goto(base + "/admin/login")
    page.fill("input[name=email]", web.ADMIN_EMAIL)
    page.fill("input[name=password]", web.ADMIN_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(base + "/admin/")


@pytest.mark.browser
def test_the_sentence_follows_components_and_notify(live_app, page):
    web.create_admin(live_app)
    enable_notifications(live_app)
    api = add_component(live_app, "API")
    add_component(live_app, "Database")
    add_subscribers(live_app, 2, prefix="whole")
    add_subscribers(live_app, 3, prefix="api", all_components=False, components=[api])
    base = live_app.base_url
    _log_in(page, base)

    page.goto(base + "/admin/incidents/new")
    sentence = page.locator(SENTENCE)
    assert sentence.text_content() == "This notifies 2 subscribers (all components: 2)."
    assert page.get_by_role("button", name="Preview", exact=True).is_hidden()

    page.select_option(f"select[name=component_{api}]", "major_outage")
    page.wait_for_function("s => document.querySelector(s).textContent.includes('API: 3')",
                           arg=SENTENCE)
    assert sentence.text_content() == ("This notifies 5 subscribers "
                                       "(all components: 2; API: 3).")

    page.uncheck("input[name=notify]")
    page.wait_for_function("s => document.querySelector(s).textContent.startsWith('Nobody')",
                           arg=SENTENCE)

    page.goto(base + "/admin/maintenance/new")
    page.check(f"input[name=component_ids][value='{api}']")
    page.wait_for_function("s => document.querySelector(s).textContent.includes('API: 3')",
                           arg=SENTENCE)
    # The maintenance line follows its stage switches too.
    page.uncheck("input[name=notify_completed]")
    page.wait_for_function(
        "s => document.querySelector(s).textContent.includes('No mail at the completion')",
        arg=SENTENCE)
    assert "This notifies 5 subscribers (all components: 2; API: 3) at each of" \
        in sentence.text_content()
    for name in ("notify_scheduled", "notify_reminder", "notify_started"):
        page.uncheck(f"input[name={name}]")
    page.wait_for_function(
        "s => document.querySelector(s).textContent.startsWith('No stage of this window')",
        arg=SENTENCE)


@pytest.mark.browser
def test_a_markdown_message_is_previewed_as_it_is_typed(live_app, page):
    web.create_admin(live_app)
    base = live_app.base_url
    _log_in(page, base)
    page.goto(base + "/admin/incidents/new")
    page.fill("textarea[name=message]",
              "We **know**. <script>window.pwned = 1</script> [x](javascript:alert(1))")
    preview = page.locator(".markdown-preview .markdown")
    preview.locator("strong").wait_for()
    assert preview.locator("strong").text_content() == "know"
    assert preview.locator("script").count() == 0 and preview.locator("a").count() == 0
    assert "<script>" in preview.text_content()  # raw HTML shows as the text it is
    assert page.evaluate("() => window.pwned") is None
