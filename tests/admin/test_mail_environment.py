"""Delivery configured by environment variables: checked at start, laid over the admin's
own settings while set (never copied over them), then used for real."""
from urllib.parse import quote

import pytest
from sqlalchemy import select

from statusmail import crypto
from statusmail.config import ConfigError, load_config
from statusmail.extensions import db
from statusmail.models import SiteSettings
from statusmail.services.mail_environment import MailEnvironmentError, parse_mail_environment
from tests.mail.support import SETTINGS_FORM, result, send_test
from tests.support import web
from tests.support.certs import make_self_signed, server_context

PASSWORD = "right horse@battery"
SENDER = {"STATUSMAIL_MAIL_FROM": "Example Status <Status@Example.com>"}


@pytest.mark.parametrize("url, expected", [
    (f"smtp+tls://apikey:{quote(PASSWORD)}@smtp.example.net:2525",
     {"smtp_host": "smtp.example.net", "smtp_port": 2525, "smtp_security": "starttls",
      "smtp_username": "apikey", "smtp_password": PASSWORD, "smtp_timeout": 15}),
    ("smtp+ssl://u:p@mail.example.com",
     {"smtp_port": 465, "smtp_security": "ssl", "smtp_username": "u", "smtp_password": "p"}),
    ("smtps://mail.example.com?timeout=30",
     {"smtp_port": 465, "smtp_security": "ssl", "smtp_timeout": 30, "smtp_username": None}),
    ("smtp://localhost", {"smtp_port": 25, "smtp_security": "none", "smtp_password": None}),
    ("SMTP+STARTTLS://relay.example.org",
     {"smtp_host": "relay.example.org", "smtp_port": 587, "smtp_security": "starttls"}),
])
def test_an_smtp_url_names_server_security_and_login(url, expected):
    fields = parse_mail_environment({"STATUSMAIL_SMTP_URL": url, **SENDER})
    assert fields["provider"] == "smtp"
    assert {name: fields[name] for name in expected} == expected
    assert (fields["from_address"], fields["from_name"]) == ("status@example.com",
                                                             "Example Status")
    assert fields["reply_to"] is None


def test_sendgrid_and_reply_to():
    fields = parse_mail_environment({"STATUSMAIL_SENDGRID_API_KEY": " SG.key ",
                                     "STATUSMAIL_MAIL_FROM": "status@example.com",
                                     "STATUSMAIL_MAIL_REPLY_TO": "Help <help@example.com>"})
    assert fields == {"provider": "sendgrid", "sendgrid_api_key": "SG.key",
                      "from_address": "status@example.com", "from_name": None,
                      "reply_to": "help@example.com"}


def test_nothing_set_leaves_delivery_to_the_admin():
    assert parse_mail_environment({}) is None
    assert parse_mail_environment({"STATUSMAIL_SMTP_URL": "  "}) is None


SECRET = "hunter2-secret"


@pytest.mark.parametrize("environ, names", [
    ({"STATUSMAIL_SMTP_URL": f"https://u:{SECRET}@smtp.example.com", **SENDER}, "scheme"),
    ({"STATUSMAIL_SMTP_URL": f"smtp+tls://u:{SECRET}@:587", **SENDER}, "no host"),
    ({"STATUSMAIL_SMTP_URL": f"smtp+tls://u:{SECRET}@h.example:99999", **SENDER}, "port"),
    ({"STATUSMAIL_SMTP_URL": f"smtp+tls://u:{SECRET}@h.example:0", **SENDER}, "port"),
    ({"STATUSMAIL_SMTP_URL": f"smtp+tls://u:{SECRET}@h.example?verify=0", **SENDER},
     "unknown option"),
    ({"STATUSMAIL_SMTP_URL": f"smtp+tls://u:{SECRET}@h.example?timeout=0", **SENDER},
     "timeout"),
    ({"STATUSMAIL_SMTP_URL": f"smtp+tls://u:{SECRET}@h.example"}, "STATUSMAIL_MAIL_FROM"),
    ({"STATUSMAIL_SMTP_URL": f"smtp+tls://u:{SECRET}@h.example",
      "STATUSMAIL_MAIL_FROM": "not an address"}, "STATUSMAIL_MAIL_FROM"),
    ({"STATUSMAIL_SMTP_URL": f"smtp+tls://u:{SECRET}@h.example", **SENDER,
      "STATUSMAIL_MAIL_REPLY_TO": "nobody@"}, "STATUSMAIL_MAIL_REPLY_TO"),
    ({"STATUSMAIL_SMTP_URL": f"smtp+tls://u:{SECRET}@h.example", **SENDER,
      "STATUSMAIL_SENDGRID_API_KEY": SECRET}, "not both"),
    (SENDER, "no provider"),
])
def test_a_bad_variable_is_named_and_its_secret_never_echoed(environ, names):
    with pytest.raises(MailEnvironmentError) as raised:
        parse_mail_environment(environ)
    message = str(raised.value)
    assert names in message and "STATUSMAIL_" in message
    assert SECRET not in message


def test_a_bad_variable_stops_start_up(monkeypatch, tmp_path):
    monkeypatch.setenv("STATUSMAIL_SMTP_URL", f"smtp+tls://u:{SECRET}@smtp.example.com")
    with pytest.raises(ConfigError, match="STATUSMAIL_MAIL_FROM") as raised:
        load_config(str(tmp_path))
    assert SECRET not in str(raised.value)


@pytest.fixture
def tls_server(smtp_server, tmp_path):
    cert = make_self_signed(tmp_path)
    server = smtp_server(tls_context=server_context(*cert), users={"mailer": PASSWORD})
    server.ca_file = str(cert[0])
    return server


@pytest.fixture
def env_app(monkeypatch, make_app, tls_server):
    """An app whose environment names a STARTTLS + AUTH server (its CA trusted)."""
    monkeypatch.setenv("STATUSMAIL_SMTP_URL", f"smtp+tls://mailer:{quote(PASSWORD)}@"
                                              f"{tls_server.host}:{tls_server.port}?timeout=5")
    monkeypatch.setenv("STATUSMAIL_MAIL_FROM", "Example Status <status@example.com>")
    return make_app(STATUSMAIL_SMTP_CA_FILE=tls_server.ca_file)


def _stored(app):
    with app.app_context():
        db.session.expire_all()
        return db.session.scalar(select(SiteSettings))


def _save_own_smtp(app, server, login=True):
    """The admin's own SMTP settings, as saved in Email settings before the variables."""
    with app.app_context():
        settings = SiteSettings.get()
        settings.provider, settings.smtp_host, settings.smtp_port = "smtp", server.host, server.port
        settings.smtp_security = "none"
        if login:
            settings.smtp_username = "own-user"
            settings.smtp_password_encrypted = crypto.encrypt("own password")
        settings.from_address, settings.from_name = "own@example.org", None
        db.session.commit()


def _own_values(settings):
    return (settings.provider, settings.smtp_host, settings.smtp_username,
            settings.from_address)


def test_the_release_step_keeps_the_admins_settings(env_app, smtp_server):
    own = smtp_server()
    _save_own_smtp(env_app, own)
    before = _stored(env_app)
    expected = _own_values(before)
    runner = env_app.test_cli_runner()
    first = runner.invoke(args=["apply-mail-env"])
    assert first.exit_code == 0 and "come from the environment (changed" in first.output
    settings = _stored(env_app)
    assert _own_values(settings) == expected == ("smtp", "127.0.0.1", "own-user",
                                                 "own@example.org")
    assert settings.smtp_password_encrypted == before.smtp_password_encrypted
    assert PASSWORD not in (settings.mail_environment_digest or "")

    again = runner.invoke(args=["apply-mail-env"])
    assert again.exit_code == 0 and "changed" not in again.output
    assert "kept for when it sets none" in again.output


def test_the_environment_sends_while_set_and_the_admins_settings_come_back(
        env_app, make_app, tls_server, smtp_server, monkeypatch):
    own = smtp_server()
    _save_own_smtp(env_app, own, login=False)
    assert env_app.test_cli_runner().invoke(args=["apply-mail-env"]).exit_code == 0
    web.create_admin(env_app)
    client = env_app.test_client()
    web.login(client)
    send_test(client, recipient="first@example.com")
    web.drain_queues(env_app)
    assert tls_server.wait_for(1)[0].rcpt_tos == ["first@example.com"]
    assert own.messages == []

    # The variables are unset and the processes restarted: the admin's own server again.
    for name in ("STATUSMAIL_SMTP_URL", "STATUSMAIL_MAIL_FROM"):
        monkeypatch.delenv(name)
    own_app = make_app()
    with own_app.app_context():
        settings = SiteSettings.get()
        settings.provider_failure = "Authentication rejected (535)"  # by the env's server
        db.session.commit()
    released = own_app.test_cli_runner().invoke(args=["apply-mail-env"])
    assert "Email settings in the admin decide again." in released.output
    assert _stored(own_app).provider_failure is None, "the admin's settings get a new try"
    client = own_app.test_client()
    web.login(client)
    page = client.get("/admin/email").text
    assert "Set by the environment" not in page and f'value="{own.port}"' in page
    send_test(client, recipient="second@example.com")
    web.drain_queues(own_app)
    message = own.wait_for(1)[0]
    assert message.rcpt_tos == ["second@example.com"] and message.mail_from == "own@example.org"
    assert len(tls_server.messages) == 1


def test_a_starting_worker_notes_a_change_and_clears_a_provider_failure(env_app):
    with env_app.app_context():
        settings = SiteSettings.get()
        settings.provider_failure = "Authentication rejected (535)"
        db.session.commit()
    outcome = env_app.test_cli_runner().invoke(args=["worker", "--burst"])
    assert outcome.exit_code == 0, outcome.output
    settings = _stored(env_app)
    assert settings.provider == "capture" and settings.provider_failure is None

    # The same environment again: a failure recorded since stays until someone acts.
    with env_app.app_context():
        SiteSettings.get().provider_failure = "Authentication rejected (535)"
        db.session.commit()
    assert env_app.test_cli_runner().invoke(args=["worker", "--burst"]).exit_code == 0
    assert _stored(env_app).provider_failure == "Authentication rejected (535)"


def test_the_admin_shows_the_environment_and_sends_through_it(env_app, tls_server):
    web.create_admin(env_app)
    client = env_app.test_client()
    web.login(client)

    page = client.get("/admin/email").text
    assert "Set by the environment" in page and "STATUSMAIL_SMTP_URL" in page
    assert f"127.0.0.1:{tls_server.port}" in page and "Example Status &lt;status@example.com&gt;" in page
    assert 'name="smtp_host"' not in page and 'name="smtp_password"' not in page
    assert PASSWORD not in page and quote(PASSWORD) not in page
    assert "are in force again once the variables are unset: No provider" in page
    assert f"Mail goes out through: SMTP server 127.0.0.1:{tls_server.port}" in page

    # The rest still saves; the environment's fields cannot be overridden by a POST.
    response = web.submit(client, "/admin/email", {
        **SETTINGS_FORM, "status_page_name": "Acme Status", "provider": "smtp",
        "smtp_host": "evil.example.com", "from_address": "evil@example.com"})
    assert response.status_code == 302
    settings = _stored(env_app)
    assert settings.status_page_name == "Acme Status"
    assert (settings.provider, settings.smtp_host, settings.from_address) == (
        "capture", None, None)

    outbound_id = send_test(client, recipient="ops@example.com")
    web.drain_queues(env_app)
    _, status = result(client, outbound_id)
    assert status["ok"], status
    message = tls_server.wait_for(1)[0]
    assert message.rcpt_tos == ["ops@example.com"]
    assert message.mail_from == "status@example.com"


def test_without_the_variables_the_admin_decides(app, admin_client):
    outcome = app.test_cli_runner().invoke(args=["apply-mail-env"])
    assert outcome.exit_code == 0 and "Email settings in the admin decide" in outcome.output
    page = admin_client.get("/admin/email").text
    assert 'name="smtp_host"' in page and "Set by the environment" not in page
    assert _stored(app) is None, "nothing was written"


def test_notices_go_through_the_environments_server_and_sender(env_app, tls_server,
                                                               smtp_server):
    from tests.fanout.helpers import add_subscribers, enable_notifications, publish_incident
    own = smtp_server()
    _save_own_smtp(env_app, own, login=False)
    enable_notifications(env_app, reply_to="own-help@example.org")
    add_subscribers(env_app, 3)
    publish_incident(env_app)
    web.drain_queues(env_app)
    received = tls_server.wait_for(3)
    assert {message.mail_from for message in received} == {"status@example.com"}
    assert all(message.message["Reply-To"] is None for message in received), \
        "the environment's sender has no Reply-To: the admin's is not mixed in"
    assert own.messages == []
