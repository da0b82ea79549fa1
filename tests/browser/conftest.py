"""A live statusmail on loopback and Debian's Chromium driven by Playwright."""
import os
import shutil
import threading

import pytest
from werkzeug.serving import make_server

from tests.support.smtp import free_port

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture
def live_app(make_app):
    """The app served by a real HTTP server; mail links point at it."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    app = make_app(STATUSMAIL_BASE_URL=base_url)
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    app.base_url = base_url
    yield app
    server.shutdown()
    thread.join(10)


@pytest.fixture
def page():
    if os.environ.get("STATUSMAIL_SKIP_BROWSER"):
        pytest.skip("STATUSMAIL_SKIP_BROWSER is set")
    if not os.path.exists(CHROMIUM):
        pytest.fail("Browser tests need Debian's chromium (bin/test installs it; "
                    "or set STATUSMAIL_SKIP_BROWSER=1).")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context()
        context.set_default_timeout(15000)
        yield context.new_page()
        context.close()
        browser.close()
