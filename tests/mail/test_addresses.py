"""One rule for addresses and credentials: what the validator accepts, the mail layer sends
unchanged; what the mail layer cannot send is a named error, never a library exception."""
import email
import email.policy
import smtplib

import pytest
from hypothesis import HealthCheck, example, given, settings, strategies as st

from statusmail.mail import errors
from statusmail.mail.addresses import address_problem
from statusmail.mail.compose import build_message, to_bytes
from statusmail.mail.smtp import SmtpTransport
from statusmail.services.validation import InvalidEmail, normalize_email

# email-validator 2.4 accepts it; the header parser decodes it to bytes that are not UTF-8.
POISONED = "=?utf-8?b?ysq6?='x@example.com"
# Pieces the address parsers treat specially: encoded words, quotes, comments, specials,
# white space and line separators, non-ASCII letters.
PIECES = st.sampled_from([
    "a", "Z", "0", ".", "..", "'", '"', "=?", "?=", "=?utf-8?b?ysq6?=", "=?utf-8?q?a?=", "(", ")",
    "<", ">", ",", ";", ":", "\\", "[", "]", " ", "\t", "\r\n", "\u2028", "\u0085", "\x00",
    "ü", "\u02ba", "!", "#", "$", "%", "&", "*", "+", "-", "/", "=", "?", "^", "_", "`", "{",
    "|", "}", "~", "@",
])
DOMAINS = st.sampled_from(["example.com", "b\u00fccher.de", "x.example", "(c)example.com",
                           "example.com\u2028", "[127.0.0.1]"])
CANDIDATES = st.builds(lambda local, domain: "".join(local) + "@" + domain,
                       st.lists(PIECES, min_size=1, max_size=8), DOMAINS)


def _wire(address):
    """``(To header as read back, envelope address)`` of a real serialised mail to it."""
    raw = to_bytes(build_message(sender=("Example Status", "status@example.com"),
                                 recipient=address, subject="Hi", text="Hello", html=None))
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    return [a.addr_spec for a in parsed["To"].addresses], smtplib.quoteaddr(address)


@settings(max_examples=400, derandomize=True, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(CANDIDATES)
@example(POISONED)
@example("=?utf-8?q?a?=@example.com")
@example("o'neil@example.com")
def test_what_the_validator_accepts_goes_into_envelope_and_header_unchanged(candidate):
    try:
        address = normalize_email(candidate)
    except InvalidEmail as exc:
        assert str(exc)  # refused, with a reason
    else:
        assert address_problem(address) is None
        assert _wire(address) == ([address], f"<{address}>")
    # The mail layer's own check never passes what its serialiser cannot write unchanged.
    if address_problem(candidate) is None:
        assert _wire(candidate) == ([candidate], f"<{candidate}>")


def test_the_poisoned_address_is_refused_with_a_reason():
    with pytest.raises(InvalidEmail, match="encoded word"):
        normalize_email(POISONED)
    with pytest.raises(errors.UnsendableError, match="encoded word") as caught:
        _wire(POISONED)
    assert POISONED in str(caught.value)


def _transport(server, **options):
    values = {"host": server.host, "port": server.port, "security": "none", "username": None,
              "password": None, "timeout": 5, "unverified_host": None,
              "helo_domain": "example.com", **options}
    return SmtpTransport(**values)


def _message(recipient):
    return build_message(sender=("Example Status", "status@example.com"), recipient=recipient,
                         subject="Hi", text="Hello", html=None)


def test_odd_but_valid_addresses_reach_a_real_server_unchanged(smtp_server):
    server = smtp_server()
    odd = ["o'neil@example.com", "a+tag@example.com", "#!$%&'*+-/^_`{}|~@example.org"]
    with _transport(server) as transport:
        for address in odd:
            assert normalize_email(address) == address
            code, _ = transport.send(_message(address))
            assert code == 250
    received = server.wait_for(len(odd))
    assert [(m.to, m.message["To"]) for m in received] == [(a, a) for a in odd]


def test_an_unsendable_recipient_fails_alone_and_the_connection_carries_on(smtp_server):
    """Also when the bytes are ready-made (a notice's fast path skips serialising)."""
    server = smtp_server()
    raw = to_bytes(_message("placeholder@example.com"))
    with _transport(server) as transport:
        with pytest.raises(errors.UnsendableError) as caught:
            transport.send(_raw_message(POISONED), raw)
        assert not caught.value.retryable and not caught.value.provider_wide
        assert transport.send(_message("next@example.com"))[0] == 250
    assert [m.to for m in server.wait_for(1)] == ["next@example.com"]


def _raw_message(recipient):
    """A message object for ``recipient`` built without serialising it (as a notice does)."""
    message = _message("placeholder@example.com")
    message.recipients = [recipient]
    return message


@pytest.mark.parametrize("username, password", [
    ("mailer\u2028", "right horse battery"),
    ("mailer\u0085", "right horse battery"),
    ("mailer", "right horse\u2028battery"),
    ("mailer", "r\u00e9ght horse battery"),
])
def test_credentials_smtplib_cannot_send_are_a_named_settings_error(smtp_server, username,
                                                                     password):
    server = smtp_server(users={"mailer": "right horse battery"}, auth_require_tls=False)
    transport = _transport(server, username=username, password=password)
    with pytest.raises(errors.UnsendableSettingError) as caught:
        transport.open()
    assert caught.value.provider_wide
    assert "SMTP login cannot send" in str(caught.value)
    assert password not in caught.value.describe()
    assert transport.smtp is None
