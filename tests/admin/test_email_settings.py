"""Email settings: validated, saved in one piece or not at all, secrets encrypted and never
shown again, and nowhere to be found outside their encrypted column."""
import logging
import zlib

import pytest

from statusmail import crypto
from statusmail.extensions import db
from statusmail.models import SiteSettings
from tests.mail.support import (SETTINGS_PAGE, result, save_settings, send_test, smtp_fields,
                                submit_settings)

SMTP_PASSWORD = "pw-Zebra-4417-never-shown"
SENDGRID_KEY = "SG.key-Quokka-9931-never-shown"
ADMIN_PAGES = ("/admin/", SETTINGS_PAGE, "/admin/email/test", "/admin/captured")


def _settings(app):
    """Every column of the settings row, as stored."""
    with app.app_context():
        row = SiteSettings.get()
        values = {column.name: getattr(row, column.name) for column in SiteSettings.__table__.columns}
        db.session.rollback()
        return values


def test_page_has_every_section_and_the_cheat_sheet(admin_client):
    page = admin_client.get(SETTINGS_PAGE)
    assert page.status_code == 200
    for heading in ("General", "Delivery provider", "SMTP", "SendGrid", "Sender", "Rate limits"):
        assert f"<h2>{heading}</h2>" in page.text
    # Without JavaScript both provider sections show, each saying when it is used; the
    # static script hides the one not chosen.
    assert 'data-provider-section="smtp"' in page.text and "Used when “SMTP server”" in page.text
    assert 'data-provider-section="sendgrid"' in page.text and "Used when “SendGrid API”" in page.text
    assert "<summary>Where common providers listen</summary>" in page.text
    for host in ("smtp.sendgrid.net", "smtp.mailgun.org", "amazonaws.com", "smtp.gmail.com"):
        assert host in page.text
    assert "Self-signed certificate host" in page.text and "No password is stored" in page.text


def test_smtp_settings_are_saved_with_the_password_encrypted(app, admin_client):
    page = save_settings(admin_client, provider="smtp", smtp_host="SMTP.Example.com",
                         smtp_port=465, smtp_security="ssl", smtp_username="mailer",
                         smtp_password=SMTP_PASSWORD, smtp_timeout=20,
                         from_address=" Status@Example.COM ", from_name="Example Status",
                         reply_to="help@example.com", timezone="Europe/Berlin",
                         delivery_retention_days=30, rate_per_second=1, rate_per_day=500)
    assert "Email settings saved" in page.text
    stored = _settings(app)
    assert stored["provider"] == "smtp" and stored["smtp_host"] == "SMTP.Example.com"
    assert (stored["smtp_port"], stored["smtp_security"], stored["smtp_timeout"]) == (465, "ssl", 20)
    assert stored["from_address"] == "status@example.com" and stored["reply_to"] == "help@example.com"
    assert (stored["timezone"], stored["delivery_retention_days"]) == ("Europe/Berlin", 30)
    assert (stored["rate_per_second"], stored["rate_per_day"]) == (1, 500)
    assert SMTP_PASSWORD not in stored["smtp_password_encrypted"]
    with app.app_context():
        assert crypto.decrypt(stored["smtp_password_encrypted"]) == SMTP_PASSWORD


def test_blank_secret_keeps_the_stored_one_and_remove_clears_it(app, admin_client):
    save_settings(admin_client, provider="smtp", smtp_host="smtp.example.com",
                  smtp_username="mailer", smtp_password=SMTP_PASSWORD, sendgrid_api_key=SENDGRID_KEY)
    first = _settings(app)

    page = save_settings(admin_client, provider="smtp", smtp_host="smtp.example.com",
                         smtp_username="mailer", smtp_port=2525)
    kept = _settings(app)
    assert kept["smtp_port"] == 2525
    assert kept["smtp_password_encrypted"] == first["smtp_password_encrypted"]
    assert kept["sendgrid_api_key_encrypted"] == first["sendgrid_api_key_encrypted"]
    assert "A password is stored" in page.text and "An API key is stored" in page.text

    page = save_settings(admin_client, provider="smtp", smtp_host="smtp.example.com",
                         remove_smtp_password=True, remove_sendgrid_api_key=True)
    cleared = _settings(app)
    assert cleared["smtp_password_encrypted"] is None and cleared["sendgrid_api_key_encrypted"] is None
    assert "No password is stored" in page.text and "No API key is stored" in page.text


@pytest.mark.parametrize("fields, message", [
    ({"smtp_port": "0"}, "Enter a port from 1 to 65535."),
    ({"smtp_port": "65536"}, "Enter a port from 1 to 65535."),
    ({"smtp_port": "587/tcp"}, "Enter a whole number, without units."),
    ({"smtp_port": ""}, "Enter a port."),
    ({"provider": "smtp", "smtp_host": ""}, "Enter the SMTP server&#39;s host name."),
    ({"provider": "smtp", "smtp_host": "smtp://mail.example.com"}, "without smtp://"),
    ({"smtp_host": "mail.example.com:587"}, "Put the port in the Port field"),
    ({"provider": "smtp", "smtp_host": "mail.example.com", "from_address": ""},
     "Enter the address mail is sent from."),
    ({"provider": "sendgrid", "sendgrid_api_key": ""}, "Enter a SendGrid API key."),
    ({"provider": "sendgrid", "from_address": ""}, "Enter the address mail is sent from."),
    ({"from_address": "status at example.com"}, "must have an @-sign"),
    ({"reply_to": "help@"}, "There must be something after the @-sign"),
    ({"from_name": "Status\r\nBcc: victim@example.com"}, "without line breaks"),
    ({"from_name": "=?utf-8?b?U3RhdHVzDQpCY2M6IHZAZXhhbXBsZS5jb20=?="}, "without line breaks"),
    ({"status_page_name": "Status\nX-Evil: 1"}, "without line breaks"),
    ({"status_page_name": " "}, "Enter a name for the status page."),
    ({"timezone": "Mars/Olympus_Mons"}, "Unknown time zone"),
    ({"list_id": "status example.com"}, "A List-Id is a name with dots"),
    ({"list_id": "status@example.com"}, "A List-Id is a name with dots"),
    ({"list_id": "localhost"}, "A List-Id is a name with dots"),
    ({"list_id": "<status..example.com>"}, "A List-Id is a name with dots"),
    ({"list_id": "a" * 250 + ".example"}, "Keep the List-Id under 255 characters."),
    ({"delivery_retention_days": "0"}, "Keep it between 1 and 3650 days."),
    ({"smtp_timeout": "0"}, "Use 1 to 120 seconds."),
    ({"rate_per_second": "0"}, "Enter at least 1, or leave it blank."),
    ({"rate_per_day": "many"}, "Enter a whole number, without units."),
    ({"smtp_security": "tls13"}, "Not a valid choice"),
    ({"smtp_password": "new", "remove_smtp_password": True}, "not both"),
])
def test_invalid_input_is_explained_and_nothing_is_saved(app, admin_client, fields, message):
    save_settings(admin_client)
    before = _settings(app)
    response = submit_settings(admin_client, **{"status_page_name": "Changed name", **fields})
    assert response.status_code == 200
    assert "Nothing was saved" in response.text and message in response.text
    assert _settings(app) == before


def test_a_typed_secret_is_not_echoed_back_after_a_validation_error(admin_client):
    response = submit_settings(admin_client, smtp_port="0", smtp_password=SMTP_PASSWORD,
                               sendgrid_api_key=SENDGRID_KEY)
    assert response.status_code == 200 and "Nothing was saved" in response.text
    assert SMTP_PASSWORD not in response.text and SENDGRID_KEY not in response.text


@pytest.mark.parametrize("fields, warning", [
    ({"smtp_security": "ssl", "smtp_port": 587}, "SSL/TLS on port 587 rarely works"),
    ({"smtp_security": "starttls", "smtp_port": 465}, "STARTTLS on port 465 rarely works"),
    ({"smtp_security": "none", "smtp_port": 25, "smtp_username": "mailer",
      "smtp_password": "secret"}, "No encryption with a password"),
    ({"smtp_tls_unverified_host": "other.example.com"},
     "so the server&#39;s certificate is still verified"),
])
def test_risky_combinations_are_saved_with_a_warning(app, admin_client, fields, warning):
    page = save_settings(admin_client, provider="smtp", smtp_host="smtp.example.com", **fields)
    assert "Email settings saved" in page.text and warning in page.text
    assert 'class="flash flash-warning"' in page.text
    assert _settings(app)["smtp_security"] == fields.get("smtp_security", "starttls")


def test_sound_settings_get_no_warning(admin_client):
    page = save_settings(admin_client, provider="smtp", smtp_host="smtp.example.com",
                         smtp_port=587, smtp_security="starttls", smtp_username="mailer",
                         smtp_password="secret")
    assert "Email settings saved" in page.text and "flash-warning" not in page.text


def test_saving_clears_a_provider_failure(app, admin_client):
    with app.app_context():
        settings = SiteSettings.get()
        settings.provider_failure = "Authentication rejected: bad password"
        db.session.commit()
    assert "Sending is paused" in admin_client.get(SETTINGS_PAGE).text
    page = save_settings(admin_client)
    assert _settings(app)["provider_failure"] is None and "Sending is paused" not in page.text


def test_blank_rate_limits_mean_none(app, admin_client):
    save_settings(admin_client, rate_per_second=5, rate_per_day=1000)
    save_settings(admin_client, rate_per_second="", rate_per_day="")
    stored = _settings(app)
    assert stored["rate_per_second"] is None and stored["rate_per_day"] is None


def _redis_contents(app):
    """Every key and value in Redis, and the decompressed form of compressed ones (RQ's job data)."""
    conn = app.extensions["redis"]
    blobs = []
    for key in conn.scan_iter():
        kind = conn.type(key)
        if kind == b"string":
            values = [conn.get(key)]
        elif kind == b"hash":
            values = [part for pair in conn.hgetall(key).items() for part in pair]
        elif kind == b"list":
            values = conn.lrange(key, 0, -1)
        elif kind == b"set":
            values = list(conn.smembers(key))
        elif kind == b"zset":
            values = conn.zrange(key, 0, -1)
        elif kind == b"stream":
            values = [part for _, entry in conn.xrange(key) for pair in entry.items() for part in pair]
        else:
            raise AssertionError(f"unexpected Redis type {kind!r} at {key!r}")
        blobs += [key, *values]
    readable = []
    for blob in blobs:
        readable.append(blob)
        try:
            readable.append(zlib.decompress(blob))
        except zlib.error:
            pass
    return readable


def _database_contents(app):
    with app.app_context():
        with db.engine.connect() as conn:
            return [value for table in db.metadata.sorted_tables
                    for row in conn.execute(table.select()) for value in row]


def _assert_nowhere(app, client, outbound_id, secrets):
    pages = [client.get(url).text for url in ADMIN_PAGES]
    pages += list(result(client, outbound_id))
    for secret in secrets:
        assert all(secret not in page for page in map(str, pages))
        assert all(secret.encode() not in blob for blob in _redis_contents(app))
        for value in _database_contents(app):
            text = value if isinstance(value, bytes) else str(value).encode()
            assert secret.encode() not in text


def test_secrets_never_leak_to_pages_database_redis_or_logs(app, admin_client, smtp_server,
                                                           run_jobs, caplog):
    caplog.set_level(logging.DEBUG)
    server = smtp_server(users={"mailer": "the real one"}, auth_require_tls=False)
    save_settings(admin_client, **smtp_fields(server, smtp_username="mailer",
                                              smtp_password=SMTP_PASSWORD,
                                              sendgrid_api_key=SENDGRID_KEY))
    outbound_id = send_test(admin_client)

    # Queued: the job is in Redis, and the scan can read inside it.
    assert any(b"statusmail.jobs.outbound.send_outbound" in blob for blob in _redis_contents(app))
    _assert_nowhere(app, admin_client, outbound_id, [SMTP_PASSWORD, SENDGRID_KEY])

    # Sent with the password (the server refuses it): still nowhere, not in the outcome either.
    run_jobs()
    assert result(admin_client, outbound_id)[1]["diagnosis"] == "auth"
    _assert_nowhere(app, admin_client, outbound_id, [SMTP_PASSWORD, SENDGRID_KEY])
    assert SMTP_PASSWORD not in caplog.text and SENDGRID_KEY not in caplog.text

    # They are stored, encrypted.
    stored = _settings(app)
    with app.app_context():
        assert crypto.decrypt(stored["smtp_password_encrypted"]) == SMTP_PASSWORD
        assert crypto.decrypt(stored["sendgrid_api_key_encrypted"]) == SENDGRID_KEY
