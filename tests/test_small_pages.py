"""The favicon every layout links, and counted nouns in pages and mail."""
import pytest

from statusmail.wording import count_of
from tests.support import web


def test_favicon_answers_at_its_usual_address_and_every_layout_links_it(app, client):
    with client.get("/favicon.ico") as icon, client.get("/static/favicon.ico") as static:
        assert icon.status_code == 200 and icon.mimetype == "image/vnd.microsoft.icon"
        assert icon.data[:4] == b"\x00\x00\x01\x00"  # an ICO file's header
        assert icon.data == static.data
    link = 'rel="icon" href="/static/favicon.ico"'
    for url in ("/", "/history", "/widget", "/admin/login", "/no-such-page"):
        assert link in client.get(url).text, url


@pytest.mark.parametrize("number, text", [(0, "0 hours"), (1, "1 hour"), (48, "48 hours")])
def test_count_of(number, text):
    assert count_of(number, "hour") == text


def test_one_hour_links_say_one_hour(app, client, smtp, run_jobs):
    app.config["CONFIRM_MAX_AGE_HOURS"] = 1
    page = web.submit(client, "/subscribe", {"email": "one@example.org"}, follow_redirects=True)
    assert "within 1 hour " in page.text and "1 hours" not in page.text
    run_jobs()
    [mail] = smtp.wait_for(1)
    text = mail.message.get_body(("plain",)).get_content()
    assert "The link works for 1 hour." in text and "1 hours" not in text
