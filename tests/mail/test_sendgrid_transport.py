"""SendGrid's API against a double that checks requests the way SendGrid does."""
import pytest

from statusmail.mail import errors
from statusmail.mail.compose import build_message
from statusmail.mail.sendgrid import SendGridTransport
from tests.mail.sendgrid_double import SendGridDouble
from tests.support.smtp import free_port

KEY = "SG.test-key"


@pytest.fixture
def sendgrid(app):
    double = SendGridDouble(KEY).start()
    app.config["SENDGRID_API_URL"] = double.url + "/"
    yield double
    double.stop()


def _send(app, key=KEY, **fields):
    values = {"sender": ("Example, Inc.", "status@example.com"), "recipient": "ops@example.com",
              "subject": "Hi", "text": "Hello", "html": "<p>Hello</p>", **fields}
    with app.app_context(), SendGridTransport(key, timeout=5) as transport:
        return transport.send(build_message(**values))


def test_text_only_and_html_only_mail_are_accepted(app, sendgrid):
    assert _send(app, html=None)[0] == 202
    assert _send(app, text="")[0] == 202
    contents = [[part["type"] for part in payload["content"]] for _, payload in sendgrid.requests]
    assert contents == [["text/plain"], ["text/html"]]
    assert sendgrid.requests[0][1]["from"] == {"email": "status@example.com", "name": "Example, Inc."}


def test_a_refused_payload_is_a_provider_error_naming_the_field(app, sendgrid):
    with pytest.raises(errors.ProviderError) as caught:
        _send(app, recipient="not-an-address")
    assert caught.value.code == 400
    assert "Each to object must have an email address" in caught.value.server_reply


def test_rate_limited_is_temporary(app, sendgrid):
    sendgrid.status_override = (429, [{"message": "too many requests", "field": None}])
    with pytest.raises(errors.TemporaryError) as caught:
        _send(app)
    assert caught.value.retryable and caught.value.code == 429


def test_unreachable_api_is_named(app):
    app.config["SENDGRID_API_URL"] = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(errors.ConnectionRefusedMailError):
        _send(app)
    app.config["SENDGRID_API_URL"] = "http://api.sendgrid.invalid"
    with pytest.raises(errors.DnsError):
        _send(app)
