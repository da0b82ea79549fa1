"""The SMTP transport on its own: replies only a scripted server gives, and the sender."""
import pytest

from statusmail.mail import errors
from statusmail.mail.compose import build_message
from statusmail.mail.smtp import SmtpTransport
from tests.mail.scripted_smtp import ScriptedSmtpServer


@pytest.fixture
def scripted():
    servers = []

    def start(**options):
        servers.append(ScriptedSmtpServer(**options).start())
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


def _transport(server, **options):
    values = {"host": server.host, "port": server.port, "security": "none", "username": None,
              "password": None, "timeout": 5, "unverified_host": None,
              "helo_domain": "example.com", **options}
    return SmtpTransport(**values)


def _message(sender=("Example Status", "status@example.com"), recipient="ops@example.com"):
    return build_message(sender=sender, recipient=recipient, subject="Hi", text="Hello", html=None)


def test_starttls_refused_is_a_tls_error_with_the_reply(scripted):
    server = scripted(replies={"EHLO": ["250-scripted", "250 STARTTLS"],
                               "STARTTLS": ["454 4.7.0 TLS not available due to temporary reason"]})
    with pytest.raises(errors.SmtpTlsError) as caught:
        _transport(server, security="starttls").open()
    assert caught.value.code == 454
    assert caught.value.server_reply == "4.7.0 TLS not available due to temporary reason"


def test_only_unknown_login_methods_is_auth_unsupported(scripted):
    server = scripted(replies={"EHLO": ["250-scripted", "250 AUTH XOAUTH2"]})
    with pytest.raises(errors.AuthUnsupportedError) as caught:
        _transport(server, username="mailer", password="pw").open()
    assert "offers no login we can use" in caught.value.detail


def test_no_auth_offered_with_a_username_is_auth_unsupported(scripted):
    server = scripted()
    with pytest.raises(errors.AuthUnsupportedError) as caught:
        _transport(server, username="mailer", password="pw").open()
    assert "only offer AUTH after STARTTLS" in caught.value.detail


def test_a_421_greeting_is_named_with_the_reply(scripted):
    server = scripted(greeting="421 4.3.2 Too busy, come back later")
    with pytest.raises(errors.MailError) as caught:
        _transport(server).open()
    assert caught.value.diagnosis == "refused" and caught.value.code == 421
    assert caught.value.server_reply == "4.3.2 Too busy, come back later"


def test_data_refused_is_message_rejected(app, smtp_server):
    server = smtp_server()
    server.data_replies.append("554 5.6.0 Message looks like spam")
    with app.app_context(), _transport(server) as transport:
        with pytest.raises(errors.MessageRejectedError) as caught:
            transport.send(_message())
    assert caught.value.code == 554 and caught.value.server_reply == "5.6.0 Message looks like spam"


def test_temporary_refusal_is_retryable(app, smtp_server):
    server = smtp_server()
    server.rcpt_replies["busy@example.com"] = "451 4.7.1 Greylisted, try again later"
    with app.app_context(), _transport(server) as transport:
        with pytest.raises(errors.TemporaryError) as caught:
            transport.send(_message(recipient="busy@example.com"))
        # The session survives a refused envelope: the next mail goes through.
        assert transport.send(_message())[0] == 250
    assert caught.value.retryable and caught.value.code == 451
    assert [m.rcpt_tos for m in server.messages] == [["ops@example.com"]]


def test_a_comma_in_the_sender_name_keeps_one_sender(app, smtp_server):
    server = smtp_server()
    with app.app_context(), _transport(server) as transport:
        transport.send(_message(sender=("Example, Inc. Status", "status@example.com")))
    [received] = server.messages
    assert received.mail_from == "status@example.com"
    assert received.message["From"].addresses[0].display_name == "Example, Inc. Status"
    assert received.message["From"].addresses[0].addr_spec == "status@example.com"


def test_a_530_after_logging_in_stays_an_authentication_problem(app, scripted):
    """"Wants a username and password" is said only when none is set."""
    server = scripted(replies={"EHLO": ["250-scripted", "250 AUTH PLAIN"],
                               "AUTH": ["235 2.7.0 Authentication successful"],
                               "MAIL": ["530 5.7.0 Authentication required"],
                               "RSET": ["250 OK"]})
    with app.app_context(), _transport(server, username="mailer", password="pw") as transport:
        with pytest.raises(errors.SmtpAuthError) as caught:
            transport.send(_message())
    assert caught.value.code == 530 and "MAIL FROM" in caught.value.detail
