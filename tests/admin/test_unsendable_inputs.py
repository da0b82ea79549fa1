"""Every admin entry point refuses what the mail layer cannot send, with a message, and
stores nothing: CSV import, test send, From / Reply-To, SMTP and SendGrid credentials,
``create-admin`` and the delivery environment variables."""
from urllib.parse import quote

import pytest

from statusmail.extensions import db
from statusmail.models import AdminUser, OutboundMail, SiteSettings, Subscriber
from statusmail.services.mail_environment import MailEnvironmentError, parse_mail_environment
from tests.admin.test_subscriber_csv import counts, problems, upload
from tests.mail.support import TEST_SEND_PAGE, save_settings, submit_settings
from tests.support import web

# email-validator 2.4 accepts it; the header parser decodes it to bytes that are not UTF-8.
POISONED = "=?utf-8?b?ysq6?='x@example.com"
ENCODED_WORD = "read as the start of an encoded word"
LOGIN_CANNOT = "which SMTP login cannot send"


def _settings(app):
    with app.app_context():
        row = SiteSettings.get()
        values = {c.name: getattr(row, c.name) for c in SiteSettings.__table__.columns}
        db.session.rollback()
        return values


def test_csv_import_reports_an_unsendable_address_by_line_and_imports_the_rest(
        app, admin_client):
    response = upload(admin_client, f"email\nann@example.com\n{POISONED}\nbob@example.com\n",
                      mode="mark_confirmed")
    assert counts(response)["Added"] == 2 and counts(response)["Errors"] == 1
    ((line, reason),) = problems(response, "errors")
    assert line == 3 and reason.startswith("Invalid address") and "encoded word" in reason
    with app.app_context():
        assert sorted(s.email for s in Subscriber.query) == ["ann@example.com",
                                                             "bob@example.com"]


def test_test_send_refuses_an_unsendable_recipient_and_queues_nothing(app, admin_client):
    response = web.submit(admin_client, TEST_SEND_PAGE,
                          {"recipient": POISONED, "subject": "Hi", "body": "x"})
    assert response.status_code == 200 and ENCODED_WORD in response.text
    with app.app_context():
        assert OutboundMail.query.count() == 0


@pytest.mark.parametrize("fields, message", [
    ({"from_address": POISONED}, ENCODED_WORD),
    ({"reply_to": POISONED}, ENCODED_WORD),
    ({"smtp_username": "mai\u2028ler"}, "The username contains a control character"),
    ({"smtp_username": "mai\u0085ler"}, "The username contains a control character"),
    ({"smtp_username": "m\u00e4iler"}, "The username contains a non-ASCII character"),
    ({"smtp_password": "right horse\u2028battery"}, "The password contains a control"),
    ({"smtp_password": "right horse\u0085battery"}, "The password contains a control"),
    ({"smtp_password": "r\u00e9ght horse battery"}, "The password contains a non-ASCII"),
    ({"provider": "sendgrid", "sendgrid_api_key": "SG.key\u2028x"}, "The API key contains"),
])
def test_email_settings_refuse_what_mail_cannot_carry(app, admin_client, fields, message):
    save_settings(admin_client)
    before = _settings(app)
    response = submit_settings(admin_client, **{"provider": "smtp",
                                                "smtp_host": "mail.example.com", **fields})
    assert response.status_code == 200
    assert "Nothing was saved" in response.text and message in response.text
    if message != ENCODED_WORD:
        assert LOGIN_CANNOT in response.text
    assert _settings(app) == before


def test_a_credential_in_plain_ascii_with_spaces_and_punctuation_is_saved(app, admin_client):
    save_settings(admin_client, provider="smtp", smtp_host="mail.example.com",
                  smtp_username="mailer+ops@example.com", smtp_password=" right horse! ")
    with app.app_context():
        assert SiteSettings.get().smtp_username == "mailer+ops@example.com"


def test_create_admin_refuses_an_unsendable_address(app):
    result = app.test_cli_runner().invoke(
        args=["create-admin", POISONED, "--password", "x" * 12])
    assert result.exit_code != 0 and "EMAIL" in result.output and "encoded word" in result.output
    with app.app_context():
        assert AdminUser.query.count() == 0


SECRET = "hunter2-secret"


@pytest.mark.parametrize("environ, names", [
    ({"STATUSMAIL_SMTP_URL": f"smtp+tls://{quote(chr(0x2028))}u:{SECRET}@h.example",
      "STATUSMAIL_MAIL_FROM": "status@example.com"}, "STATUSMAIL_SMTP_URL: The username"),
    ({"STATUSMAIL_SMTP_URL": f"smtp+tls://u:{quote(SECRET + chr(0x85))}@h.example",
      "STATUSMAIL_MAIL_FROM": "status@example.com"}, "STATUSMAIL_SMTP_URL: The password"),
    ({"STATUSMAIL_SENDGRID_API_KEY": "SG.\u2028" + SECRET,
      "STATUSMAIL_MAIL_FROM": "status@example.com"}, "STATUSMAIL_SENDGRID_API_KEY: The API key"),
    ({"STATUSMAIL_SMTP_URL": f"smtp+tls://u:{SECRET}@h.example",
      "STATUSMAIL_MAIL_FROM": f"Status <{POISONED}>"}, "STATUSMAIL_MAIL_FROM"),
    ({"STATUSMAIL_SMTP_URL": f"smtp+tls://u:{SECRET}@h.example",
      "STATUSMAIL_MAIL_FROM": "status@example.com",
      "STATUSMAIL_MAIL_REPLY_TO": POISONED}, "STATUSMAIL_MAIL_REPLY_TO"),
])
def test_delivery_variables_mail_cannot_carry_are_named_and_never_echoed(environ, names):
    with pytest.raises(MailEnvironmentError) as raised:
        parse_mail_environment(environ)
    message = str(raised.value)
    assert names in message and SECRET not in message
