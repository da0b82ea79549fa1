"""Helpers that drive the app the way a person or another process would."""
import re

from rq import SimpleWorker

ADMIN_EMAIL = "admin@example.com"
ADMIN_PASSWORD = "correct horse battery"
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def csrf_token(html):
    found = _CSRF.search(html if isinstance(html, str) else html.decode())
    assert found, "no csrf_token on the page"
    return found.group(1) or found.group(2)


def submit(client, page_url, data, action=None, **kwargs):
    """GET the page for its CSRF token, then POST the form (to ``action`` or the page)."""
    page = client.get(page_url)
    assert page.status_code == 200, page.status_code
    return client.post(action or page_url, data={"csrf_token": csrf_token(page.text), **data},
                       **kwargs)


def create_admin(app, email=ADMIN_EMAIL, password=ADMIN_PASSWORD, role="owner"):
    from statusmail.extensions import db
    from statusmail.models import AdminUser
    with app.app_context():
        user = AdminUser(email=email, role=role)
        user.set_password(password)
        db.session.add(user)
        db.session.commit()
        db.session.refresh(user)
        db.session.expunge(user)
        return user


def login(client, email=ADMIN_EMAIL, password=ADMIN_PASSWORD):
    response = submit(client, "/admin/login", {"email": email, "password": password})
    assert response.status_code == 302, response.text
    return response


def use_smtp(app, server, **fields):
    """Point the settings row at a test SMTP server (no TLS, no auth unless given)."""
    from statusmail import crypto
    from statusmail.extensions import db
    from statusmail.models import SiteSettings
    with app.app_context():
        settings = SiteSettings.get()
        settings.provider = "smtp"
        settings.smtp_host = server.host
        settings.smtp_port = server.port
        settings.smtp_security = fields.pop("security", "none")
        settings.smtp_timeout = fields.pop("timeout", 5)
        settings.from_address = fields.pop("from_address", "status@example.com")
        settings.from_name = fields.pop("from_name", "Example Status")
        password = fields.pop("password", None)
        if password:
            settings.smtp_password_encrypted = crypto.encrypt(password)
        for name, value in fields.items():
            setattr(settings, name, value)
        db.session.commit()


def drain_queues(app):
    """Run queued jobs in this process with a real RQ worker until the queues are empty."""
    from statusmail import QUEUE_NAMES
    from statusmail.queues import get_queue, redis_connection
    with app.app_context():
        worker = SimpleWorker([get_queue(name) for name in QUEUE_NAMES],
                              connection=redis_connection())
        worker.work(burst=True, logging_level="WARNING")
