"""Test these settings: one real mail sent with the values typed in Email settings, before
saving them. Nothing typed is stored; a blank secret field means the stored secret."""
import json
import re

import pytest

from statusmail import crypto
from statusmail.extensions import db
from statusmail.models import CapturedMail, OutboundMail, AuditEvent, SiteSettings
from tests.mail.support import SETTINGS_FORM, SETTINGS_PAGE, save_settings, smtp_fields
from tests.support import web
from tests.support.certs import make_self_signed, server_context

TRY = "/admin/email/try"
USERS = {"mailer": "right horse battery"}


def try_settings(client, recipient="ops@example.com", **fields):
    """POST the settings form to "Test these settings" with ``fields`` changed."""
    data = {**SETTINGS_FORM, "trial_recipient": recipient,
            **{name: str(value) for name, value in fields.items()}}
    response = web.submit(client, SETTINGS_PAGE, data, action=TRY)
    assert response.status_code == 200, response.status_code
    return response.text


def _stored(app):
    with app.app_context():
        row = SiteSettings.get()
        values = {column.name: getattr(row, column.name)
                  for column in SiteSettings.__table__.columns if column.name != "updated_at"}
        db.session.rollback()
        return values


def _trial_result(page):
    found = re.search(r'<section class="card trial-result".*?</section>', page, re.S)
    assert found, "no trial result on the page"
    return found.group(0)


@pytest.fixture
def cert(tmp_path):
    return make_self_signed(tmp_path)


@pytest.fixture
def tls_server(app, smtp_server, cert):
    app.config["STATUSMAIL_SMTP_CA_FILE"] = str(cert[0])
    return smtp_server(tls_context=server_context(*cert), users=USERS)


def test_typed_values_send_a_mail_and_nothing_is_saved(app, admin_client, smtp_server):
    server = smtp_server()
    before = _stored(app)
    page = try_settings(admin_client, **smtp_fields(server), from_address="typed@example.org",
                        status_page_name="Typed Status")
    assert "Tried, not saved" in page and "Sent: the server accepted the mail" in page
    assert "250 2.0.0 Ok: queued as test" in page
    [received] = server.messages
    assert received.rcpt_tos == ["ops@example.com"] and received.mail_from == "typed@example.org"
    assert "settings not saved yet" in received.message["Subject"]
    assert "Typed Status" in received.message.get_body(("plain",)).get_content()
    # The form still holds what was typed; the database holds what it held.
    assert f'value="{server.port}"' in page and 'value="typed@example.org"' in page
    assert _stored(app) == before
    with app.app_context():
        assert OutboundMail.query.count() == 0  # sent here, not queued for a worker


def test_a_blank_password_uses_the_stored_one_and_a_typed_one_wins(app, admin_client, tls_server):
    save_settings(admin_client, **smtp_fields(tls_server, smtp_security="starttls",
                                              smtp_username="mailer",
                                              smtp_password=USERS["mailer"]))
    stored = _stored(app)

    page = try_settings(admin_client, **smtp_fields(tls_server, smtp_security="starttls",
                                                    smtp_username="mailer"))
    assert "Sent: the server accepted the mail" in page, page
    assert "type it once more" not in page
    assert len(tls_server.messages) == 1

    page = try_settings(admin_client, **smtp_fields(tls_server, smtp_security="starttls",
                                                    smtp_username="mailer",
                                                    smtp_password="typed wrong one"))
    assert "Authentication rejected" in page and "535" in page
    # Typed secrets are never shown back, and the stored one is untouched.
    assert "typed wrong one" not in page and USERS["mailer"] not in page
    assert "type it once more before you press Save settings" in page
    assert _stored(app) == stored
    with app.app_context():
        assert crypto.decrypt(stored["smtp_password_encrypted"]) == USERS["mailer"]
    assert len(tls_server.messages) == 1


def test_removing_the_stored_password_is_tried_as_no_password(app, admin_client, tls_server):
    save_settings(admin_client, **smtp_fields(tls_server, smtp_security="starttls",
                                              smtp_username="mailer",
                                              smtp_password=USERS["mailer"]))
    page = try_settings(admin_client, **smtp_fields(tls_server, smtp_security="starttls",
                                                    smtp_username="mailer",
                                                    remove_smtp_password="y"))
    assert "Authentication rejected" in page and not tls_server.messages
    with app.app_context():
        assert SiteSettings.get().smtp_password_encrypted is not None


def test_the_diagnoses_apply_to_typed_values(admin_client, smtp_server, cert):
    server = smtp_server(tls_context=server_context(*cert), implicit_tls=True)
    page = try_settings(admin_client, **smtp_fields(server, smtp_security="starttls"))
    assert "This port speaks TLS from the first byte" in page and "choose SSL/TLS" in page
    assert "What to do:" in page


def test_capture_links_the_captured_copy(app, admin_client):
    page = try_settings(admin_client, provider="capture")
    with app.app_context():
        [copy] = CapturedMail.query.all()
        assert copy.recipient == "ops@example.com"
    answer = _trial_result(page)
    assert f'href="/admin/captured/{copy.id}"' in answer and "Open the captured copy" in answer
    assert "SPF" not in answer and "spam" not in answer


def test_bad_values_are_refused_and_nothing_is_sent(app, admin_client, smtp_server):
    server = smtp_server()
    before = _stored(app)
    page = try_settings(admin_client, recipient="not an address",
                        **smtp_fields(server, smtp_port="99999"))
    assert "Nothing was tried or saved" in page
    assert "Enter a port from 1 to 65535." in page and "must have an @-sign" in page
    assert 'value="not an address"' in page  # what was typed stays to be corrected
    assert not server.messages and _stored(app) == before


def test_without_the_form_token_nothing_is_sent(app, admin_client, smtp_server):
    server = smtp_server()
    response = admin_client.post(TRY, data={**SETTINGS_FORM, **smtp_fields(server),
                                            "trial_recipient": "ops@example.com"})
    assert response.status_code == 400 and "Form expired" in response.text
    assert not server.messages


def test_a_bad_trial_address_never_blocks_saving(app, admin_client):
    response = web.submit(admin_client, SETTINGS_PAGE,
                          {**SETTINGS_FORM, "trial_recipient": "not an address",
                           "status_page_name": "Saved anyway"})
    assert response.status_code == 302
    assert _stored(app)["status_page_name"] == "Saved anyway"


def test_a_trial_is_in_the_security_log_without_secrets(app, admin_client, smtp_server):
    server = smtp_server()
    try_settings(admin_client, **smtp_fields(server, smtp_password="never logged"))
    with app.app_context():
        [event] = AuditEvent.query.filter_by(kind="email_settings_tried").all()
        assert event.actor_email == web.ADMIN_EMAIL
        assert event.detail == {"provider": "smtp", "ok": True}
        assert "never logged" not in json.dumps(event.detail)


def test_with_delivery_from_the_environment_it_points_to_test_send(monkeypatch, make_app):
    monkeypatch.setenv("STATUSMAIL_SMTP_URL", "smtp+tls://mailer:pw@smtp.example.com:587")
    monkeypatch.setenv("STATUSMAIL_MAIL_FROM", "status@example.com")
    app = make_app()
    web.create_admin(app)
    client = app.test_client()
    web.login(client)
    page = client.get(SETTINGS_PAGE).text
    assert "Test these settings" not in page
    response = web.submit(client, SETTINGS_PAGE, dict(SETTINGS_FORM), action=TRY)
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/email/test")
