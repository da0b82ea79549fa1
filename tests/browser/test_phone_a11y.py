"""Phone and accessibility, every page: at 390×844 no page scrolls sideways, the status
page's widget is not cut off, and axe-core finds no serious or critical violation.

The pages are the crawl's (every GET route of the URL map, once per seeded row), opened
by a logged-in operator on a phone-sized screen.
"""
from pathlib import Path

import pytest

from tests.browser.conftest import PHONE
from tests.browser.site import discover_pages
from tests.support import web

pytestmark = pytest.mark.browser

AXE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text()
SERIOUS = ("serious", "critical")
_AXE_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations.filter(v => %s.includes(v.impact)).map(v =>
    `${v.impact} ${v.id}: ${v.help} — ` + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', '));
}""" % list(SERIOUS)
_WIDGET_FIT = """() => {
  const frame = document.querySelector('iframe.subscribe-widget');
  const inner = frame.contentDocument.documentElement;
  return {frame: frame.clientHeight, content: inner.scrollHeight,
          frameWidth: frame.clientWidth, contentWidth: inner.scrollWidth};
}"""


def _log_in(page, base_url):
    page.goto(base_url + "/admin/login")
    page.fill("input[name=email]", web.ADMIN_EMAIL)
    page.fill("input[name=password]", web.ADMIN_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(base_url + "/admin/")


def test_every_page_fits_a_phone_and_passes_axe(seeded_site, new_page):
    app, seeded = seeded_site
    pages, unbuildable = discover_pages(app, seeded)
    assert not unbuildable, "\n".join(unbuildable)
    page = new_page(viewport=PHONE, is_mobile=True, has_touch=True)
    _log_in(page, app.base_url)

    findings, swept = [], 0
    for site_page in (p for p in pages if p.ours):
        response = page.goto(app.base_url + site_page.url)
        if response is None or response.status >= 400:
            findings.append(f"{site_page.url}: status {response.status if response else None}")
            continue
        swept += 1
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > PHONE["width"]:
            findings.append(f"{site_page.url}: {width} px wide at {PHONE['width']} px "
                            f"(widest: {_widest(page)})")
        page.evaluate(AXE)
        findings.extend(f"{site_page.url}: {violation}" for violation in page.evaluate(_AXE_RUN))

    print(f"\nphone/axe sweep: {swept} pages at {PHONE['width']}x{PHONE['height']}, "
          f"{len(findings)} findings")
    assert swept >= 30
    assert not findings, "\n".join(findings)


def _widest(page):
    """The element sticking out furthest, to say where to look."""
    return page.evaluate("""() => {
      let worst = null, right = 0;
      for (const el of document.body.querySelectorAll('*')) {
        const r = el.getBoundingClientRect().right;
        if (r > right) { right = r; worst = el; }
      }
      return worst ? `${worst.tagName.toLowerCase()}.${[...worst.classList].join('.')} to ${Math.round(right)} px` : '';
    }""")


@pytest.mark.parametrize("scripts", [True, False], ids=["sized-by-script", "fallback-height"])
def test_status_page_widget_is_not_cut_off_on_a_phone(seeded_site, new_page, scripts):
    """With scripts the widget tells its frame how tall it is; without, the frame's own
    height must still hold the form on a phone."""
    app, _ = seeded_site
    page = new_page(viewport=PHONE, is_mobile=True, java_script_enabled=scripts)
    page.goto(app.base_url + "/")
    frame = page.frame_locator("iframe.subscribe-widget")
    frame.get_by_role("button", name="Subscribe").wait_for()
    _assert_fits(page, scripts)
    if scripts:  # only the widget's own frame may size it, not any page that posts
        height = page.evaluate(_WIDGET_FIT)["frame"]
        page.evaluate("window.postMessage({type: 'statusmail:widget-height', height: 1500}, '*')")
        page.evaluate("() => new Promise(done => setTimeout(done, 0))")  # after the message
        assert page.evaluate(_WIDGET_FIT)["frame"] == height
    # The answer is longer than the form: the frame follows it, or had room for it.
    frame.get_by_label("Email address").fill("phone@example.org")
    frame.get_by_role("button", name="Subscribe").click()
    frame.get_by_text("Check your inbox").wait_for()
    _assert_fits(page, scripts)


def _assert_fits(page, scripts):
    if scripts:
        page.wait_for_function(f"() => ({_WIDGET_FIT})().content <= ({_WIDGET_FIT})().frame",
                               timeout=5000)
    fit = page.evaluate(_WIDGET_FIT)
    assert fit["content"] <= fit["frame"], fit
    assert fit["contentWidth"] <= fit["frameWidth"], fit


def test_admin_navigation_folds_into_a_menu_on_a_phone(seeded_site, new_page):
    """Ten links wrapped into five rows on a phone. Now they wait behind one button that
    opens without any script; on a wide screen they stay a row and the button is gone."""
    app, _ = seeded_site
    page = new_page(viewport=PHONE, is_mobile=True)
    _log_in(page, app.base_url)
    no_script = new_page(viewport=PHONE, is_mobile=True, java_script_enabled=False,
                         storage_state=page.context.storage_state())
    no_script.goto(app.base_url + "/admin/subscribers")
    header = no_script.locator("header.admin-header")
    assert header.bounding_box()["height"] <= 60
    components = no_script.get_by_role("link", name="Components", exact=True)
    assert not components.is_visible()
    no_script.get_by_text("Menu", exact=True).click()
    assert components.is_visible()
    components.click()
    no_script.wait_for_url(app.base_url + "/admin/components")

    no_script.set_viewport_size({"width": 1280, "height": 800})
    assert not no_script.get_by_text("Menu", exact=True).is_visible()
    assert no_script.locator("nav.nav-wide").get_by_role("link", name="Components").is_visible()
