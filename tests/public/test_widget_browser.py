"""The widget in a real Chromium, framed by a page on another site (as an operator embeds it).

The browser withholds our SameSite session cookie from a cross-site frame; the sign-up
must still work there.
"""
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

pytestmark = pytest.mark.browser


def _serve_forever(server):
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return thread


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


def test_widget_signs_up_inside_another_sites_frame(live_app, other_site, page, subscribers):
    page.goto(other_site)
    frame = page.frame_locator("iframe")
    frame.get_by_label("Email address").fill("framed@example.com")
    frame.get_by_role("button", name="Subscribe").click()
    frame.get_by_text("Check your inbox").wait_for()
    assert subscribers.get(email="framed@example.com").status == "pending"
