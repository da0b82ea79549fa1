"""Real parts for every test: a redis-server of this session's own, a migrated database
(SQLite, or PostgreSQL when TEST_DATABASE_URL is set), aiosmtpd servers on loopback,
and RQ workers that really run the jobs.
"""
import os
import secrets
import shutil
import tempfile
import threading
import uuid

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet

_SESSION_DIR = tempfile.mkdtemp(prefix="statusmail-tests-")
TEST_BASE_URL = "http://statusmail.test"

# Set before any app is created, so that subprocess workers inherit the same settings.
os.environ.update({
    "STATUSMAIL_ENV": "testing",
    "STATUSMAIL_INSTANCE_PATH": os.path.join(_SESSION_DIR, "instance"),
    "SECRET_KEY": secrets.token_urlsafe(32),
    "STATUSMAIL_ENCRYPTION_KEY": Fernet.generate_key().decode(),
    "STATUSMAIL_BASE_URL": TEST_BASE_URL,
})

from statusmail.embedded_redis import ensure_redis, stop_embedded_redis  # noqa: E402

from werkzeug.serving import make_server  # noqa: E402

from tests.support.smtp import SmtpTestServer, free_port  # noqa: E402
from tests.support import web  # noqa: E402


def _start_redis():
    """A redis-server for this test session alone: parallel runs cannot flush each other."""
    directory = os.path.join(_SESSION_DIR, "redis")
    return ensure_redis("", directory, allow_embedded=True), directory


def _create_database():
    """SQLite in the session directory, or a fresh PostgreSQL database per session."""
    admin_url = os.environ.get("TEST_DATABASE_URL")
    if not admin_url:
        return "sqlite:///" + os.path.join(_SESSION_DIR, "test.sqlite3"), None
    name = f"statusmail_test_{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.engine.make_url(admin_url).set(database=name)
    return url.render_as_string(hide_password=False), (engine, name)


def _drop_database(handle):
    engine, name = handle
    with engine.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


@pytest.fixture(scope="session", autouse=True)
def services():
    redis_url, redis_dir = _start_redis()
    database_url, pg_handle = _create_database()
    os.environ["REDIS_URL"] = redis_url
    os.environ["DATABASE_URL"] = database_url
    from statusmail import create_app
    from statusmail.extensions import db
    app = create_app()
    with app.app_context():
        # The models make the schema; tests/test_migrations.py proves the migrations
        # build the same one.
        db.create_all()
        db.engine.dispose()
    yield {"redis_url": redis_url, "database_url": database_url}
    if pg_handle:
        _drop_database(pg_handle)
    stop_embedded_redis(redis_dir)
    shutil.rmtree(_SESSION_DIR, ignore_errors=True)


def _clean(app):
    from statusmail.extensions import db
    with app.app_context():
        db.session.remove()
        with db.engine.begin() as conn:
            for table in reversed(db.metadata.sorted_tables):
                conn.execute(table.delete())
        app.extensions["redis"].flushdb()
        db.engine.dispose()


@pytest.fixture
def make_app():
    """Build an app with extra config; every app made is cleaned up after the test."""
    from statusmail import create_app
    made = []

    def factory(**config):
        app = create_app({"TESTING": True, **config})
        made.append(app)
        return app

    yield factory
    if made:
        _clean(made[0])
    for app in made:
        # Left to the garbage collector, a pooled socket may be finalised before its
        # connection closes it: a ResourceWarning, an error under filterwarnings=error.
        app.extensions["redis"].close()


@pytest.fixture
def app(make_app):
    """The app, with no context pushed: requests, jobs and test code each open their own
    (``with app.app_context():``), as web, worker and scheduler processes do."""
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def smtp_server():
    """Factory: ``smtp_server(users=..., tls_context=...)`` starts a server for this test."""
    started = []

    def factory(**options):
        server = SmtpTestServer(**options).start()
        started.append(server)
        return server

    yield factory
    for server in started:
        server.stop()


@pytest.fixture
def smtp(smtp_server, app):
    """A plain aiosmtpd server and settings that send to it."""
    server = smtp_server()
    web.use_smtp(app, server)
    return server


@pytest.fixture
def admin(app):
    return web.create_admin(app)


@pytest.fixture
def admin_client(client, admin):
    web.login(client, admin.email, web.ADMIN_PASSWORD)
    return client


@pytest.fixture
def run_jobs(app):
    """Run every queued job to completion in this process (a real RQ worker, burst mode)."""
    return lambda: web.drain_queues(app)


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture
def live_app(make_app):
    """The app served by a real HTTP server on loopback; mail links point at it."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    app = make_app(STATUSMAIL_BASE_URL=base_url)
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    app.base_url = base_url
    yield app
    server.shutdown()
    server.server_close()
    thread.join(10)


@pytest.fixture
def chromium():
    """Debian's Chromium driven by Playwright (no browser download); tests open contexts."""
    if os.environ.get("STATUSMAIL_SKIP_BROWSER"):
        pytest.skip("STATUSMAIL_SKIP_BROWSER is set")
    if not os.path.exists(CHROMIUM):
        pytest.fail("Browser tests need Debian's chromium (bin/test installs it; "
                    "or set STATUSMAIL_SKIP_BROWSER=1).")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium):
    """A page in a fresh browser context."""
    context = chromium.new_context()
    context.set_default_timeout(15000)
    yield context.new_page()
    context.close()
