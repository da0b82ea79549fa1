"""The audit log in a real browser: a person acts, finds it in the log, narrows the log
by kind, by who and by day, downloads the filtered CSV and changes how long it is kept."""
import csv
import io
from pathlib import Path

import pytest

from statusmail.models import SiteSettings
from tests.support import web

pytestmark = pytest.mark.browser


def _log_in(page, base_url):
    page.goto(base_url + "/admin/login")
    page.fill("input[name=email]", web.ADMIN_EMAIL)
    page.fill("input[name=password]", web.ADMIN_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(base_url + "/admin/")


def _rows(page):
    return page.locator("table tbody tr")


def test_a_person_finds_filters_exports_and_keeps_the_log(live_app, new_page):
    web.create_admin(live_app)
    base = live_app.base_url
    page = new_page(accept_downloads=True)
    _log_in(page, base)

    page.goto(base + "/admin/components/new")
    page.fill("input[name=name]", "Search")
    page.click("main button:has-text(\"Add component\")")
    page.wait_for_url(base + "/admin/components")

    page.click("nav.nav-wide >> text=Audit log")
    page.wait_for_url(base + "/admin/audit-log")
    assert _rows(page).count() == 2
    newest = _rows(page).first
    assert "Component added" in newest.inner_text() and "Search" in newest.inner_text()
    assert web.ADMIN_EMAIL in newest.inner_text() and "127.0.0.1" in newest.inner_text()

    page.select_option("select[name=kind]", "login_succeeded")
    page.click("form[role=search] button[type=submit]")
    page.wait_for_url("**/admin/audit-log?*kind=login_succeeded*")
    assert _rows(page).count() == 1 and "Signed in" in _rows(page).first.inner_text()

    page.click("text=Clear")
    page.fill("input[name=actor]", "system")
    page.click("form[role=search] button[type=submit]")
    assert "No entry matches these filters." in page.inner_text("main")

    page.fill("input[name=actor]", "")
    page.fill("input[name=since]", "2031-01-02")
    page.fill("input[name=until]", "2031-01-01")
    page.click("form[role=search] button[type=submit]")
    assert "“Until” comes before “From”." in page.inner_text("main")

    page.goto(base + "/admin/audit-log")
    page.click(f"table tbody tr >> nth=0 >> text={web.ADMIN_EMAIL}")  # who: a link to filter
    page.wait_for_url("**actor=*")
    assert _rows(page).count() == 2
    with page.expect_download() as download_info:
        page.click("text=Export CSV (this selection)")
    download = download_info.value
    assert download.suggested_filename.startswith("audit-log-")
    rows = list(csv.reader(io.StringIO(Path(download.path()).read_text(encoding="utf-8"))))
    # The export is itself an entry, written before the file.
    assert [row[2] for row in rows[1:]] == ["audit_log_exported", "component_created",
                                            "login_succeeded"]

    page.fill("input[name=audit_retention_days]", "30")
    page.click("main button:has-text(\"Save\")")
    page.wait_for_url(base + "/admin/audit-log")
    assert "Audit log settings saved." in page.inner_text("main")
    assert page.input_value("input[name=audit_retention_days]") == "30"
    assert "Audit log settings saved" in _rows(page).first.inner_text()
    with live_app.app_context():
        assert SiteSettings.get().audit_retention_days == 30
