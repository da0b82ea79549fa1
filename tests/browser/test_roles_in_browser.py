"""Roles in a real browser: an invitee accepts by mail and lands signed in; a viewer and
an editor walk every page of the seeded site and are offered no link, button or form
their role would be refused (the permission table decides what "refused" means, and the
viewer then presses every form it is shown)."""
import re
from urllib.parse import urlsplit

import pytest
from werkzeug.exceptions import HTTPException

from statusmail.admin.permissions import allows, required_role
from tests.browser import person
from tests.browser.crawl import Crawl
from tests.browser.site import discover_pages
from tests.support import web

pytestmark = pytest.mark.browser

# Public pages that use up a mailed link: not what a role sees, and the owner crawl's.
SINGLE_USE = ("admin.reset_password", "admin.accept_invitation", "admin.login",
              "admin.forgot_password")
_OFFERED = """() => {
  const shown = el => !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length);
  const links = [...document.querySelectorAll('a[href]')].filter(shown)
    .map(a => ({method: 'get', url: a.href, what: 'link ' + a.textContent.trim()}));
  const forms = [...document.forms].filter(f => [...f.elements].some(shown))
    .map(f => ({method: (f.getAttribute('method') || 'get').toLowerCase(), url: f.action,
                what: 'form ' + (f.querySelector('button')?.textContent.trim() || '')}));
  const extra = [...document.querySelectorAll('button[formaction]')].filter(shown)
    .map(b => ({method: 'post', url: b.formAction, what: 'button ' + b.textContent.trim()}));
  return [...links, ...forms, ...extra];
}"""


def _log_in(page, base_url, email, password=web.ADMIN_PASSWORD):
    page.goto(base_url + "/admin/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.click("main button[type=submit]")
    assert urlsplit(page.url).path == "/admin/", page.url


def _text(page, selector):
    return " ".join(page.inner_text(selector).split())


def _endpoint(app, url, method):
    parts = urlsplit(url)
    if parts.netloc != urlsplit(app.base_url).netloc:
        return None
    try:
        return app.url_map.bind("localhost").match(parts.path, method=method.upper())[0]
    except HTTPException:
        return None


class Role:
    """What the table lets ``role`` do (``allows`` on a stand-in with that role)."""
    is_authenticated = True

    def __init__(self, role):
        self.role = role

    def has_role(self, needed):
        from statusmail.models.users import ROLES
        return ROLES.index(self.role) >= ROLES.index(needed)


def _walk(app, page, pages, role):
    """Open every page; ``(findings, refused_pages, offered)`` for ``role``."""
    findings, refused, offered = [], 0, 0
    for site_page in pages:
        response = page.goto(app.base_url + site_page.url)
        with app.test_request_context():
            may_open = allows(Role(role), site_page.endpoint, "GET")
        if not may_open:
            assert response.status == 403, (role, site_page.url, response.status)
            assert "Not for your role" in page.text_content("h1")
            refused += 1
            continue
        assert response.status < 400, (role, site_page.url, response.status)
        if not (response.headers.get("content-type") or "").startswith("text/html"):
            continue
        for thing in page.evaluate(_OFFERED):
            endpoint = _endpoint(app, thing["url"], thing["method"])
            if endpoint is None or endpoint.startswith(("public.", "static")):
                continue
            offered += 1
            with app.test_request_context():
                fine = allows(Role(role), endpoint, thing["method"])
                needed = required_role(endpoint, thing["method"])
            if not fine:
                findings.append(f"{site_page.url}: {thing['what']!r} → {endpoint} "
                                f"({thing['method']}) needs {needed}")
    return findings, refused, offered


@pytest.mark.parametrize("role", ["viewer", "editor"])
def test_a_role_is_offered_only_what_it_may_use(seeded_site, new_page, role, tmp_path,
                                                monkeypatch):
    app, seeded = seeded_site
    email = f"{role}@example.com"
    web.create_admin(app, email=email, role=role)
    pages, unbuildable = discover_pages(app, seeded)
    assert not unbuildable, unbuildable
    pages = [p for p in pages if p.endpoint.startswith(("admin.", "rq_dashboard."))
             and p.endpoint not in SINGLE_USE]
    page = new_page()
    _log_in(page, app.base_url, email)
    nav = page.locator("nav.nav-wide").text_content()
    assert "Incidents" in nav and "Users" not in nav and "Email settings" not in nav
    assert "Queues" not in nav and "Captured mail" not in nav

    findings, refused, offered = _walk(app, page, pages, role)
    assert not findings, "\n".join(findings)
    assert refused >= 10 and offered >= 50, (refused, offered)

    if role == "viewer":
        # And what a viewer is offered works when pressed (logging out last).
        monkeypatch.setitem(person.FIELD_VALUES, ("admin.change_email", "email"), email)
        upload = tmp_path / "unused.csv"
        upload.write_bytes(person.CSV_UPLOAD)
        page.on("dialog", lambda dialog: dialog.accept())
        crawl = Crawl(app, page, str(upload))
        with app.test_request_context():
            mine = [p for p in pages if allows(Role(role), p.endpoint, "GET")]
        for site_page in mine:
            crawl.visit(site_page)
        crawl.finish()
        assert not crawl.findings, "\n".join(crawl.findings)
        assert ("layout", "admin.logout", "post", "Log out") in crawl.submitted
        assert not [key for key in crawl.submitted
                    if key[1] not in ("admin.logout", "admin.change_password",
                                      "admin.change_email") and key[2] == "post"], \
            crawl.submitted


def test_an_invitee_accepts_by_mail_and_lands_signed_in(live_app, new_page):
    from statusmail.models import CapturedMail
    from statusmail.services.captured_mail import read_captured
    web.create_admin(live_app)
    owner = new_page()
    _log_in(owner, live_app.base_url, web.ADMIN_EMAIL)
    owner.get_by_role("link", name="Users").first.click()
    owner.fill("input[name=email]", "Newcomer@Example.org")
    owner.select_option("select[name=role]", "editor")
    with owner.expect_navigation():
        owner.get_by_role("button", name="Send invitation").click()
    assert "Invitation sent to newcomer@example.org as editor" in owner.text_content(".flash")
    web.drain_queues(live_app)
    with live_app.app_context():
        mail = CapturedMail.query.filter_by(recipient="newcomer@example.org").one()
        text = read_captured(mail)["text"]
    link = re.search(r"https?://\S+/admin/invitation/\S+", text).group(0)

    invitee = new_page()
    invitee.goto(link)
    assert "You are invited as newcomer@example.org, an editor" in _text(invitee, "main")
    invitee.fill("input[name=password]", "a newcomer's passphrase")
    invitee.fill("input[name=confirm]", "a newcomer's passphrase")
    with invitee.expect_navigation():
        invitee.get_by_role("button", name="Create my account").click()
    assert urlsplit(invitee.url).path == "/admin/"
    assert "Welcome! You are logged in as newcomer@example.org" in invitee.text_content(".flash")
    nav = invitee.locator("nav.nav-wide").text_content()
    assert "Incidents" in nav and "Users" not in nav

    # The owner sees the new account, not an invitation any more; the link is spent.
    owner.reload()
    assert "No pending invitations" in _text(owner, "main")
    assert owner.locator("tr", has_text="newcomer@example.org").count() == 1
    spent = new_page()
    response = spent.goto(link)
    assert response.status == 400 and "already been accepted" in _text(spent, "main")
