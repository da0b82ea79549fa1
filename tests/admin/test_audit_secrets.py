"""The audit log names what changed, never a secret's value: an SMTP password, a SendGrid
key and an API token go through every path that records them, and neither the table nor
any log line holds them afterwards."""
import logging
import re

import sqlalchemy as sa

from statusmail.extensions import db
from statusmail.models import AuditEvent
from tests.api.conftest import ApiClient
from tests.mail.support import SETTINGS_FORM, save_settings
from tests.support import web

SMTP_PASSWORD = "Smtp-Secret-7f3a9c1e"
SENDGRID_KEY = "SG.sendgrid-secret-2b8d4e6f.zz"


def _every_audit_cell(app):
    with app.app_context():
        rows = db.session.execute(sa.select(AuditEvent.__table__)).all()
    return [str(cell) for row in rows for cell in row]


def test_no_secret_value_reaches_the_audit_log_or_any_log_line(app, admin_client, smtp_server,
                                                               caplog):
    caplog.set_level(logging.DEBUG)
    server = smtp_server()
    smtp = {"provider": "smtp", "smtp_host": server.host, "smtp_port": server.port,
            "smtp_security": "none", "smtp_username": "mailer"}
    # Tried unsaved, then saved; then a SendGrid key saved; then both removed.
    page = admin_client.get("/admin/email")
    tried = admin_client.post("/admin/email/try", data={
        **SETTINGS_FORM, **smtp, "smtp_password": SMTP_PASSWORD,
        "trial_recipient": "ops@example.com", "csrf_token": web.csrf_token(page.text)})
    assert tried.status_code == 200
    save_settings(admin_client, **smtp, smtp_password=SMTP_PASSWORD)
    save_settings(admin_client, provider="sendgrid", sendgrid_api_key=SENDGRID_KEY)
    save_settings(admin_client, remove_smtp_password=True, remove_sendgrid_api_key=True)

    created = web.submit(admin_client, "/admin/api-tokens", {"name": "deploy"},
                         action="/admin/api-tokens/new")
    token = re.search(r"smk_[A-Za-z0-9_-]{20,}", created.text).group(0)
    api = ApiClient(app.test_client(), token)
    assert api.post("/incidents", {"title": "Down", "impact": "major",
                                   "message": "Looking."}).status_code == 201

    with app.app_context():
        kinds = [e.kind for e in AuditEvent.query.order_by(AuditEvent.id)]
        saved = [e.detail["changed"] for e in AuditEvent.query.filter_by(
            kind="email_settings_saved").order_by(AuditEvent.id)]
    assert kinds[1:] == ["email_settings_tried", "email_settings_saved", "email_settings_saved",
                         "email_settings_saved", "api_token_created", "incident_created"]
    # The names of the secrets that changed are there; their values are not.
    assert "smtp_password" in saved[0] and "sendgrid_api_key" in saved[1]
    assert {"smtp_password", "sendgrid_api_key"} <= set(saved[2])

    cells = " ".join(_every_audit_cell(app))
    lines = " ".join(record.getMessage() for record in caplog.records)
    assert "deploy" in cells and "smtp_password" in cells  # the check can see what is there
    for secret in (SMTP_PASSWORD, SENDGRID_KEY, token, token[4:]):
        assert secret not in cells, secret
        assert secret not in lines, secret
