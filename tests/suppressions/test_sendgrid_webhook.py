"""The SendGrid Event Webhook: only SendGrid's signed, fresh, first-seen events count."""
import json
import random
import time

import pytest
from sqlalchemy import select

from statusmail.extensions import db
from statusmail.models import Delivery, ProviderEvent, Subscriber, Suppression
from statusmail.services.deliverability.sendgrid_events import SOFT_BOUNCE_LIMIT
from tests.fanout.helpers import add_subscribers, enable_notifications, publish_incident
from tests.suppressions.signing import URL, SendGridSigner, event, install_key


@pytest.fixture
def signer(app):
    signer = SendGridSigner()
    install_key(app, signer.public_key_text)
    return signer


def _suppressions(app):
    with app.app_context():
        return {row.email: (row.reason, row.source, row.notification_id)
                for row in Suppression.query.filter(Suppression.lifted_at.is_(None))}


def _status(app, email):
    with app.app_context():
        return db.session.scalar(select(Subscriber.status).where(Subscriber.email == email))


def test_each_kind_of_event_suppresses_for_its_reason(app, client, signer):
    emails = add_subscribers(app, 8)
    events = [
        event("bounce", emails[0], type="bounce", status="5.1.1", reason="550 no such user"),
        event("bounce", emails[1], type="blocked", status="5.7.1", reason="blocked"),
        event("dropped", emails[2], reason="Bounced Address"),
        event("dropped", emails[3], reason="Unsubscribed Address"),
        event("dropped", emails[4], reason="Spam Reporting Address"),
        event("spamreport", emails[5]),
        event("group_unsubscribe", emails[6], asm_group_id=1),
        event("dropped", emails[7], reason="Invalid SMTPAPI header"),  # not the address's fault
        event("delivered", "someone@example.net"), event("open", "someone@example.net"),
        event("processed", "someone@example.net"), {"event": "mystery"}, "not an object",
    ]
    answer = signer.post(client, events)
    assert answer.status_code == 200, answer.text
    assert answer.json == {"stored": 8, "duplicates": 0, "acknowledged": 3, "ignored": 2,
                           "suppressed": 7}
    assert {email: reason for email, (reason, source, _) in _suppressions(app).items()} == {
        emails[0]: "hard_bounce", emails[1]: "block", emails[2]: "hard_bounce",
        emails[3]: "provider_unsubscribe", emails[4]: "spam_report", emails[5]: "spam_report",
        emails[6]: "provider_unsubscribe"}
    assert {source for _, source, _ in _suppressions(app).values()} == {"webhook"}
    assert [_status(app, e) for e in emails] == [
        "bounced", "bounced", "bounced", "unsubscribed", "unsubscribed", "unsubscribed",
        "unsubscribed", "confirmed"]
    with app.app_context():
        detail = Suppression.query.filter_by(email=emails[0]).one().detail
        assert "bounce" in detail and "550 no such user" in detail
        assert ProviderEvent.query.count() == 8  # delivered/open/processed are not stored


def test_custom_args_tie_an_event_to_its_delivery_only_for_that_address(
        app, client, signer, smtp, run_jobs):
    enable_notifications(app)
    first, second = add_subscribers(app, 2)
    notification = publish_incident(app)
    run_jobs()
    with app.app_context():
        ids = dict(db.session.execute(
            select(Subscriber.email, Delivery.id).join(Delivery.subscriber)).all())
    answer = signer.post(client, [
        event("spamreport", first, delivery_id=str(ids[first]),
              notification_id=str(notification)),
        # A delivery id that is not this address's (another app on the same account):
        # matched by the address alone.
        event("bounce", second, type="bounce", delivery_id=str(ids[first]),
              notification_id="999999"),
    ])
    assert answer.status_code == 200, answer.text
    with app.app_context():
        rows = {row.email: row for row in ProviderEvent.query}
        assert (rows[first].delivery_id, rows[first].notification_id) == (
            ids[first], notification)
        assert rows[second].delivery_id is None and rows[second].notification_id is None
        assert rows[second].subscriber_id is not None
    assert _suppressions(app)[first] == ("spam_report", "webhook", notification)


def test_unsigned_tampered_stale_future_and_unconfigured_requests_are_refused(app, client):
    signer = SendGridSigner()
    (email,) = add_subscribers(app, 1)
    events = [event("spamreport", email)]
    body = json.dumps(events).encode()

    assert signer.post(client, events).status_code == 403  # no key saved yet
    install_key(app, signer.public_key_text)

    assert client.post(URL, data=body, content_type="application/json").status_code == 401
    headers = signer.headers(body)
    tampered = body.replace(b"spamreport", b"spamrepor\\u0074")
    assert signer.post(client, None, body=tampered, headers=headers).status_code == 403
    assert signer.post(client, events, timestamp=int(time.time()) - 301).status_code == 403
    assert signer.post(client, events, timestamp=int(time.time()) + 120).status_code == 403
    other = SendGridSigner()
    assert other.post(client, events).status_code == 403  # someone else's key
    bad = dict(headers, **{"X-Twilio-Email-Event-Webhook-Signature": "***"})
    assert signer.post(client, None, body=body, headers=bad).status_code == 403
    # The timestamp is signed: moving it breaks the signature.
    moved = dict(headers, **{"X-Twilio-Email-Event-Webhook-Timestamp":
                             str(int(headers["X-Twilio-Email-Event-Webhook-Timestamp"]) + 1)})
    assert signer.post(client, None, body=body, headers=moved).status_code == 403
    assert _suppressions(app) == {} and _status(app, email) == "confirmed"

    assert signer.post(client, events).status_code == 200
    assert _suppressions(app)[email][0] == "spam_report"


def test_a_replayed_event_is_acknowledged_and_acted_on_once(app, client, signer):
    (email,) = add_subscribers(app, 1)
    events = [event("spamreport", email)]
    assert signer.post(client, events).json["stored"] == 1
    with app.app_context():
        Suppression.query.one().lifted_at = db.func.now()
        db.session.commit()
    again = signer.post(client, events + events)
    assert again.status_code == 200 and again.json["stored"] == 0
    assert again.json["duplicates"] == 2
    assert _suppressions(app) == {}  # the lift stands: the old complaint is not new


def test_soft_bounces_suppress_at_the_limit_counting_messages_not_retries(app, client, signer):
    (email,) = add_subscribers(app, 1)
    retries = [event("deferred", email, sg_message_id="same-message", response="451 later")
               for _ in range(SOFT_BOUNCE_LIMIT + 2)]
    assert signer.post(client, retries).status_code == 200
    assert _suppressions(app) == {}
    others = [event("deferred", email) for _ in range(SOFT_BOUNCE_LIMIT - 2)]
    assert signer.post(client, others).json["suppressed"] == 0
    last = signer.post(client, [event("deferred", email)])
    assert last.json["suppressed"] == 1
    assert _suppressions(app)[email][0] == "soft_bounce_limit"
    assert _status(app, email) == "bounced"


def test_oversize_and_malformed_bodies_are_refused_without_a_500(app, client, signer):
    big = b"[" + b" " * (1024 * 1024) + b"]"
    assert signer.post(client, None, body=big).status_code == 413
    for body in (b"", b"{", b"\xff\xfe", b'{"event": "bounce"}', b"[" * 5000 + b"]" * 5000,
                 b"null", b'"text"'):
        answer = signer.post(client, None, body=body)
        assert answer.status_code == 400, (body[:20], answer.status_code)


def test_the_webhook_is_rate_limited(make_app):
    app = make_app(SENDGRID_WEBHOOK_RATE_LIMIT="3/minute")
    client = app.test_client()
    answers = [client.post(URL, data=b"[]", content_type="application/json").status_code
               for _ in range(4)]
    assert answers == [403, 403, 403, 429]


def test_fuzzed_signed_batches_never_fail_the_server(app, client, signer):
    """Signed (so past the gate) but arbitrary: every answer is 200 or 400."""
    rng = random.Random(12)
    (email,) = add_subscribers(app, 1)
    values = [None, True, -1, 0, 2**70, 1.5, "", "x" * 300, "\x00", "a\x00@example.com", "ü",
              "\ud800", [], {}, "12",
              "99999999999", email, "Bounced Address", "bounce", "blocked", "deferred"]
    keys = ["email", "event", "timestamp", "sg_event_id", "sg_message_id", "type", "reason",
            "status", "delivery_id", "notification_id", "asm_group_id"]
    kinds = ["bounce", "dropped", "spamreport", "unsubscribe", "group_unsubscribe",
             "deferred", "delivered", "open", "click", "processed", "other"]
    for _ in range(60):
        batch = []
        for _ in range(rng.randint(0, 6)):
            item = event(rng.choice(kinds), rng.choice([email, "other@example.net"]))
            for key in rng.sample(keys, rng.randint(0, 4)):
                item[key] = rng.choice(values)
            batch.append(item if rng.random() > 0.1 else rng.choice(values))
        answer = signer.post(client, batch)
        assert answer.status_code in (200, 400), (batch, answer.status_code, answer.text)
