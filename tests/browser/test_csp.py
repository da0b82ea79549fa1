"""Every page in a real browser under the Content-Security-Policy: none reports a violation.

The test client sees the header; only a browser enforces it. Pages come from the URL map
(every GET route, with the ids of rows seeded here), plus the subscriber pages reached
the way a subscriber reaches them (the confirmation mail's link, then its buttons).
"""
import email
import email.policy
import re

import pytest

from tests.admin.test_captured import _capture
from tests.admin.test_delivery_log import publish
from tests.support import web

pytestmark = pytest.mark.browser

# Collects violations in every document, frames included, before any page script runs.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push(e.violatedDirective + " " + (e.blockedURI || "inline"));
});
"""
SKIP_ENDPOINTS = {"admin.logout", "static", "rq_dashboard.static"}


def _seed(app):
    from datetime import timedelta

    from statusmail.extensions import db
    from statusmail.models import Component, Incident, Maintenance, SiteSettings, Subscriber, utcnow
    web.create_admin(app)
    with app.app_context():
        SiteSettings.get().notifications_enabled = True
        component = Component(name="API")
        subscriber = Subscriber(email="seen@example.org", status="confirmed", confirmed_at=utcnow())
        start = utcnow() + timedelta(days=1)
        maintenance = Maintenance(title="Upgrade", description="Short.", starts_at=start,
                                  ends_at=start + timedelta(hours=1))
        db.session.add_all([component, subscriber, maintenance])
        db.session.commit()
        ids = {"component_id": component.id, "subscriber_id": subscriber.id,
               "maintenance_id": maintenance.id, "instance_number": 0}
    ids["notification_id"] = publish(app)
    with app.app_context():
        ids["incident_id"] = Incident.query.one().id
    ids["captured_id"] = _capture(app, html='<p style="color:#333">Styled mail</p>')
    return ids


def _urls(app, ids):
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in SKIP_ENDPOINTS \
                or rule.rule.startswith("/api/") or not set(rule.arguments) <= set(ids):
            continue
        yield re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(ids[m.group(1)]), rule.rule)


class Violations:
    def __init__(self, page):
        self.page, self.console = page, []
        page.add_init_script(RECORD_VIOLATIONS)
        page.on("console", lambda message: self.console.append(message.text)
                if "Content Security Policy" in message.text or "Refused to" in message.text
                else None)

    def on_page(self):
        found = list(self.console)
        for frame in self.page.frames:
            try:
                found += frame.evaluate("window.__cspViolations || []")
            except Exception as exc:  # a sandboxed frame without scripts has nothing to report
                if "__cspViolations" in str(exc):
                    raise
        self.console.clear()
        return found


def _visit(page, violations, url):
    response = page.goto(url)
    assert response.status < 500, url
    page.wait_for_load_state("load")
    assert "Content-Security-Policy" in {name.title() for name in response.headers}, url
    return violations.on_page()


def test_no_page_reports_a_policy_violation(live_app, page):
    base = live_app.base_url
    ids = _seed(live_app)
    violations = Violations(page)

    # The detector itself: an inline script is refused and reported.
    page.goto(base + "/")
    page.evaluate("""() => { const s = document.createElement('script');
                              s.textContent = 'window.ran = 1'; document.body.appendChild(s); }""")
    page.wait_for_function("() => window.__cspViolations.length > 0")
    assert page.evaluate("window.ran") is None
    assert any("script-src" in found for found in violations.on_page())

    found = {}
    # A subscriber's pages, reached from the confirmation mail.
    page.goto(base + "/subscribe")
    page.fill("input[name=email]", "csp@example.org")
    page.get_by_role("button", name=re.compile("Subscribe")).click()
    page.wait_for_selector("text=Check your inbox")
    web.drain_queues(live_app)  # links in mail point at the live server
    from statusmail.models import CapturedMail
    with live_app.app_context():
        raw = CapturedMail.query.filter_by(recipient="csp@example.org").one().raw
    text = email.message_from_bytes(raw, policy=email.policy.default).get_body(("plain",)).get_content()
    confirm_url = re.search(re.escape(base) + r"/confirm/\S+", text).group(0)
    found[confirm_url] = _visit(page, violations, confirm_url)
    page.get_by_role("button", name=re.compile("Confirm")).click()
    page.wait_for_selector("text=You are subscribed")
    found["confirmed"] = violations.on_page()
    page.click("text=Change what you hear about")
    page.wait_for_load_state("load")
    found["manage"] = violations.on_page()

    page.goto(base + "/admin/login")
    page.fill("input[name=email]", web.ADMIN_EMAIL)
    page.fill("input[name=password]", web.ADMIN_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(base + "/admin/")
    urls = list(_urls(live_app, ids))
    assert len(urls) > 25
    for path in urls:
        probe = page.request.get(base + path)
        if "text/html" not in probe.headers.get("content-type", ""):
            continue
        found[path] = _visit(page, violations, base + path)
        if path == f"/admin/captured/{ids['captured_id']}":
            assert page.frame_locator("iframe.mail-preview").locator("text=Styled mail").count() == 1
    assert {path: v for path, v in found.items() if v} == {}
    assert f"/admin/deliveries/{ids['notification_id']}" in found
