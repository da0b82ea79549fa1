"""PIPELINING (RFC 2920): the envelope in one write when offered, refusals as without it.

Every outcome is checked against a server that offers PIPELINING and one that does not:
the delivery's fate must not depend on how the commands travelled.
"""
import pytest

from statusmail.mail import errors
from statusmail.mail.compose import build_message
from statusmail.mail.smtp import SmtpTransport
from tests.mail.scripted_smtp import HANG_UP, ScriptedSmtpServer

PIPELINING_EHLO = ["250-scripted", "250-8BITMIME", "250 PIPELINING"]
ACCEPTING = {"EHLO": PIPELINING_EHLO, "MAIL": ["250 2.1.0 Ok"], "RCPT": ["250 2.1.5 Ok"],
             "DATA": ["354 End data with <CR><LF>.<CR><LF>"], "RSET": ["250 2.0.0 Ok"]}


@pytest.fixture
def scripted():
    servers = []

    def start(**options):
        servers.append(ScriptedSmtpServer(**options).start())
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


@pytest.fixture(params=[True, False], ids=["pipelining", "one-command-at-a-time"])
def server(request, smtp_server):
    return smtp_server(pipelining=request.param)


def _transport(server, **options):
    values = {"host": server.host, "port": server.port, "security": "none", "username": None,
              "password": None, "timeout": 5, "unverified_host": None,
              "helo_domain": "example.com", **options}
    return SmtpTransport(**values)


def _message(recipient="ops@example.com", text="Hello"):
    return build_message(sender=("Example Status", "status@example.com"), recipient=recipient,
                         subject="Hi", text=text, html=None)


def test_the_envelope_goes_as_one_group_when_offered(scripted):
    """The server answers MAIL and RCPT only once DATA has come: waiting for each reply
    would time out."""
    server = scripted(replies=ACCEPTING, hold_envelope=True)
    with _transport(server, timeout=2) as transport:
        assert transport.send(_message())[0] == 250
        assert transport.send(_message(recipient="dev@example.com"))[0] == 250
    assert server.commands[1:] == [
        "MAIL FROM:<status@example.com>", "RCPT TO:<ops@example.com>", "DATA",
        "MAIL FROM:<status@example.com>", "RCPT TO:<dev@example.com>", "DATA", "quit"]
    assert len(server.messages) == 2 and b"To: dev@example.com" in server.messages[1]


def test_without_pipelining_offered_each_command_waits_for_its_reply(scripted):
    server = scripted(replies={**ACCEPTING, "EHLO": ["250-scripted", "250 8BITMIME"]},
                      hold_envelope=True)
    with pytest.raises(errors.SmtpTimeoutError), _transport(server, timeout=1) as transport:
        transport.send(_message())
    assert server.commands[1:] == ["mail FROM:<status@example.com>"]


def test_leading_dots_are_doubled_and_the_message_arrives_whole(app, server):
    text = ".starts with a dot\n..two\nend."
    with app.app_context(), _transport(server) as transport:
        assert transport.send(_message(text=text))[0] == 250
    [received] = server.messages
    assert received.message.get_content().replace("\r\n", "\n") == text + "\n"


def test_a_refused_recipient_is_rejected_and_the_session_goes_on(app, server):
    server.rcpt_replies["gone@example.com"] = "550 5.1.1 No such user"
    with app.app_context(), _transport(server) as transport:
        with pytest.raises(errors.RecipientRejectedError) as caught:
            transport.send(_message(recipient="gone@example.com"))
        assert transport.send(_message())[0] == 250
    assert caught.value.code == 550 and caught.value.server_reply == "5.1.1 No such user"
    assert "RCPT TO:<gone@example.com> refused" in caught.value.detail
    assert [m.rcpt_tos for m in server.messages] == [["ops@example.com"]]


def test_a_greylisted_recipient_is_temporary_and_the_session_goes_on(app, server):
    server.rcpt_replies["busy@example.com"] = "451 4.7.1 Greylisted, try again later"
    with app.app_context(), _transport(server) as transport:
        with pytest.raises(errors.TemporaryError) as caught:
            transport.send(_message(recipient="busy@example.com"))
        assert transport.send(_message())[0] == 250
    assert caught.value.retryable and caught.value.code == 451
    assert [m.rcpt_tos for m in server.messages] == [["ops@example.com"]]


def test_a_refused_sender_stops_everything(app, server):
    server.mail_replies["status@example.com"] = "553 5.7.1 Sender not allowed"
    with app.app_context(), _transport(server) as transport:
        with pytest.raises(errors.SenderRejectedError) as caught:
            transport.send(_message())
    assert caught.value.provider_wide and caught.value.code == 553
    assert server.messages == []


def test_a_refused_message_after_data_is_rejected_and_the_session_goes_on(app, server):
    server.data_replies.append("554 5.6.0 Message looks like spam")
    with app.app_context(), _transport(server) as transport:
        with pytest.raises(errors.MessageRejectedError) as caught:
            transport.send(_message())
        assert transport.send(_message(recipient="dev@example.com"))[0] == 250
    assert caught.value.code == 554 and "after DATA" in caught.value.detail
    assert [m.rcpt_tos for m in server.messages] == [["dev@example.com"]]


def test_a_login_wanted_at_mail_is_named_so(scripted):
    server = scripted(replies={**ACCEPTING, "MAIL": ["530 5.7.0 Authentication required"],
                               "RCPT": ["503 5.5.1 Error: need MAIL command"],
                               "DATA": ["503 5.5.1 Error: need RCPT command"]})
    with _transport(server) as transport:
        with pytest.raises(errors.AuthRequiredError) as caught:
            transport.send(_message())
        assert server.commands[-1].upper() == "RSET"
    assert caught.value.code == 530 and "MAIL FROM with 530" in caught.value.detail


@pytest.mark.parametrize("code, error", [("451 4.3.0 Try later", errors.TemporaryError),
                                         ("554 5.7.1 No more today", errors.MessageRejectedError)])
def test_data_itself_refused_after_an_accepted_recipient(scripted, code, error):
    server = scripted(replies={**ACCEPTING, "DATA": [code]})
    with _transport(server) as transport:
        with pytest.raises(error) as caught:
            transport.send(_message())
        assert server.commands[-1].upper() == "RSET"  # the accepted envelope is cleared
    assert caught.value.code == int(code[:3]) and server.messages == []


def test_a_421_at_mail_closing_the_session_is_temporary_and_the_next_send_reconnects(scripted):
    server = scripted(replies={**ACCEPTING, "MAIL": ["421 4.3.2 Shutting down"]})
    transport = _transport(server)
    with pytest.raises(errors.TemporaryError) as caught:
        transport.send(_message())
    assert caught.value.code == 421 and "MAIL FROM" in caught.value.detail
    assert transport.smtp is None  # the server hung up: nothing left to reset
    server.replies["MAIL"] = ["250 2.1.0 Ok"]
    assert transport.send(_message())[0] == 250
    transport.close()
    assert server.connections == 2 and len(server.messages) == 1


@pytest.mark.parametrize("where", ["MAIL", "RCPT", "DATA", "."])
def test_a_hang_up_mid_pipeline_is_a_lost_connection(scripted, where):
    """Nothing was refused and nothing accepted: the batch retries on a new connection."""
    server = scripted(replies={**ACCEPTING, where: HANG_UP})
    with pytest.raises(errors.DisconnectedError), _transport(server) as transport:
        transport.send(_message())
    assert transport.smtp is None


def test_data_accepted_after_a_refused_recipient_sends_nothing(scripted):
    """A server that says 354 with no recipient would take a message nobody gets: the
    session is dropped instead, and the recipient's refusal is the answer."""
    server = scripted(replies={**ACCEPTING, "RCPT": ["550 5.1.1 No such user"]})
    transport = _transport(server)
    with pytest.raises(errors.RecipientRejectedError):
        transport.send(_message())
    assert transport.smtp is None and server.messages == []
