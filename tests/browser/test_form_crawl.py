"""Every form, by a person, in a real browser: the crawl logs in through the login form,
opens every page the URL map has (once per seeded row), and fills in and submits every
form it finds. A form added tomorrow is crawled tomorrow; a field a person cannot fill,
a form the browser will not send, an error or a 4xx/5xx answer is a finding.
"""
import pytest

from tests.browser.crawl import Crawl
from tests.browser.person import CSV_UPLOAD
from tests.browser.site import discover_pages

pytestmark = pytest.mark.browser


def test_every_form_on_every_page(seeded_site, new_page, tmp_path):
    app, seeded = seeded_site
    pages, unbuildable = discover_pages(app, seeded)
    assert not unbuildable, "routes the crawl cannot open:\n" + "\n".join(unbuildable)
    upload = tmp_path / "subscribers.csv"
    upload.write_bytes(CSV_UPLOAD)
    page = new_page()
    page.on("dialog", lambda dialog: dialog.accept())  # "Delete …?" — yes, as a person would

    crawl = Crawl(app, page, str(upload))
    for site_page in pages:
        crawl.visit(site_page)
    crawl.finish()

    print(f"\nform crawl: {len(pages)} pages, {crawl.pages_visited} page loads, "
          f"{len(crawl.submitted)} forms submitted, {crawl.inputs_filled} inputs filled, "
          f"{len(crawl.findings)} findings")
    assert not crawl.findings, "\n".join(crawl.findings)
    assert not crawl.unsubmitted(), f"forms seen but never submitted: {crawl.unsubmitted()}"
    # The crawl reached what a person can do: it logged in, and every area has its forms.
    assert ("admin.login", "admin.login", "post", "Log in") in crawl.submitted
    assert ("layout", "admin.logout", "post", "Log out") in crawl.submitted
    assert len(crawl.submitted) >= 30
