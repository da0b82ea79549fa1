"""The widget in a real Chromium, framed by a page on another site (as an operator embeds it).

The browser withholds our SameSite session cookie from a cross-site frame; the sign-up
must still work there.
"""
import os
import shutil
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from werkzeug.serving import make_server

from tests.support.smtp import free_port

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = pytest.mark.browser


def _serve_forever(server):
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return thread


@pytest.fixture
def live_app(make_app):
    port = free_port()
    app = make_app(STATUSMAIL_BASE_URL=f"http://127.0.0.1:{port}")
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = _serve_forever(server)
    app.base_url = f"http://127.0.0.1:{port}"
    yield app
    server.shutdown()
    server.server_close()
    thread.join(10)


@pytest.fixture
def other_site(live_app):
    """An operator's status page on another site ("localhost" is not "127.0.0.1")."""
    snippet = (f'<iframe src="{live_app.base_url}/widget" title="Subscribe to updates" '
               f'width="100%" height="180" style="border:0"></iframe>').encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            body = b"<!doctype html><title>Our status</title><h1>Our status</h1>" + snippet
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = _serve_forever(server)
    yield f"http://localhost:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()
    thread.join(10)


@pytest.fixture
def page():
    if os.environ.get("STATUSMAIL_SKIP_BROWSER"):
        pytest.skip("STATUSMAIL_SKIP_BROWSER is set")
    if not os.path.exists(CHROMIUM):
        pytest.fail("Browser tests need Debian's chromium (or set STATUSMAIL_SKIP_BROWSER=1).")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"])
        context = browser.new_context()
        context.set_default_timeout(15000)
        yield context.new_page()
        context.close()
        browser.close()


def test_widget_signs_up_inside_another_sites_frame(live_app, other_site, page, subscribers):
    page.goto(other_site)
    frame = page.frame_locator("iframe")
    frame.get_by_label("Email address").fill("framed@example.com")
    frame.get_by_role("button", name="Subscribe").click()
    frame.get_by_text("Check your inbox").wait_for()
    assert subscribers.get(email="framed@example.com").status == "pending"
