"""SendGrid's API against a double that checks requests the way SendGrid does."""
import pytest
import requests

from statusmail.mail import errors
from statusmail.mail.compose import build_message
from statusmail.mail.sendgrid import SendGridTransport
from tests.mail.sendgrid_double import INVALID_ADDRESS, SendGridDouble
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
    assert INVALID_ADDRESS in caught.value.server_reply


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


SHARED = {"from": {"email": "status@example.com"}, "subject": "Hi",
          "content": [{"type": "text/plain", "value": "Hello -link-"}]}


def _person(number, **extra):
    return {"to": [{"email": f"user{number}@example.org"}], **extra}


def _send_personalized(app, personalizations):
    with app.app_context(), SendGridTransport(KEY, timeout=5) as transport:
        return transport.send_personalized(SHARED, personalizations)


def test_many_recipients_in_one_request(app, sendgrid):
    assert _send_personalized(app, [_person(n, substitutions={"-link-": f"/u/{n}"})
                                    for n in range(1000)])[0] == 202
    [(_, payload)] = sendgrid.requests
    assert len(payload["personalizations"]) == 1000


def test_the_double_refuses_what_sendgrid_refuses(app, sendgrid):
    too_many = [_person(n) for n in range(1001)]
    with app.app_context(), SendGridTransport(KEY, timeout=5) as transport:
        with pytest.raises(ValueError):
            transport.send_personalized(SHARED, too_many)
    # Past the transport's own check, as another client could send them.
    for personalizations, expected in [
            (too_many, "more than 1000 personalizations"),
            ([{"to": [{"email": f"a{n}@example.org"} for n in range(600)]},
              {"to": [{"email": f"b{n}@example.org"} for n in range(600)]}],
             "may not exceed 1000 per request"),
    ]:
        answer = requests.post(sendgrid.url + "/v3/mail/send",
                               json={**SHARED, "personalizations": personalizations},
                               headers={"Authorization": f"Bearer {KEY}"}, timeout=5)
        assert answer.status_code == 400 and expected in answer.text
    assert not sendgrid.requests


@pytest.mark.parametrize("extra, field", [
    ({"substitutions": {"-link-": "x" * 10_000}}, "personalizations.1.substitutions"),
    ({"substitutions": {"-link-": 5}}, "personalizations.1.substitutions"),
    ({"custom_args": {"delivery_id": 5}}, "personalizations.1.custom_args"),
    ({"headers": {"To": "someone@example.org"}}, "personalizations.1.headers"),
    ({"to": [{"email": "user1@example.org"}, {"email": "USER1@example.org"}]},
     "personalizations.1.to.1.email"),
    ({"to": []}, "personalizations.1.to"),
])
def test_a_refused_personalization_is_named_and_nothing_is_sent(app, sendgrid, extra, field):
    with pytest.raises(errors.PersonalizationsRefusedError) as caught:
        _send_personalized(app, [_person(0), _person(1, **extra), _person(2)])
    assert caught.value.refused.keys() == {1} and caught.value.code == 400
    assert not sendgrid.requests and sendgrid.received == 1


def test_a_refused_shared_part_is_a_provider_error(app, sendgrid):
    with app.app_context(), SendGridTransport(KEY, timeout=5) as transport:
        with pytest.raises(errors.ProviderError) as caught:
            transport.send_personalized({**SHARED, "from": {"email": "nobody"}},
                                        [_person(0), _person(1)])
    assert not isinstance(caught.value, errors.PersonalizationsRefusedError)
    assert "from email" in caught.value.server_reply
