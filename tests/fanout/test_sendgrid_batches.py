"""A notice through SendGrid: personalizations, many recipients per request, each outcome kept.

Against the double in tests/mail, which checks each request as SendGrid's API does and
sends nothing for a request it refuses.
"""
import collections
import re
import signal

import pytest
from sqlalchemy import select

from statusmail import crypto
from statusmail.extensions import db
from statusmail.fanout.notices import delivery_message_local, message_key
from statusmail.fanout.sweeper import release_expired_leases
from statusmail.models import Delivery, Notification, SiteSettings, Subscriber
from statusmail.services import scheduler
from tests.mail.sendgrid_double import INVALID_ADDRESS, SendGridDouble
from tests.support.processes import wait_until
from tests.support.web import drain_queues

from .conftest import Gate
from .helpers import add_subscribers, delivery_states, enable_notifications, notification_state
from .helpers import publish_incident

KEY = "SG.batch-test-key"
PER_REQUEST = 3
LEASE = 2


@pytest.fixture
def app(make_app):
    return make_app(SENDGRID_RECIPIENTS_PER_REQUEST=PER_REQUEST, FANOUT_RETRY_BASE_SECONDS=0,
                    DELIVERY_LEASE_SECONDS=LEASE)


def use_sendgrid(app, double):
    app.config["SENDGRID_API_URL"] = double.url
    with app.app_context():
        settings = SiteSettings.get()
        settings.provider = "sendgrid"
        settings.sendgrid_api_key_encrypted = crypto.encrypt(KEY)
        settings.from_address, settings.from_name = "status@example.com", "Example Status"
        db.session.commit()


@pytest.fixture
def sendgrid(app):
    double = SendGridDouble(KEY).start()
    use_sendgrid(app, double)
    yield double
    double.stop()


def sweep(app):
    with app.app_context():
        scheduler.tick()


def _deliveries(app, notification_id):
    with app.app_context():
        return {email: delivery for delivery, email in db.session.execute(
            select(Delivery, Subscriber.email).join(Subscriber)
            .where(Delivery.notification_id == notification_id))}


def _as_sendgrid_sends(person, payload):
    """The text part this recipient gets: the substitutions applied, as SendGrid does."""
    text = payload["content"][0]["value"]
    for placeholder, value in person.get("substitutions", {}).items():
        text = text.replace(placeholder, value)
    return text


def test_a_notice_goes_out_in_requests_of_personalizations(app, sendgrid, run_jobs, client):
    enable_notifications(app)
    emails = add_subscribers(app, 7)
    notification = publish_incident(app)
    run_jobs()

    assert delivery_states(app, notification) == {"sent": 7}
    assert notification_state(app, notification) == "completed"
    assert [len(p["personalizations"]) for _, p in sendgrid.requests] == [3, 3, 1]
    assert all(h["Authorization"] == f"Bearer {KEY}" for h, _ in sendgrid.requests)
    accepted = sendgrid.accepted()
    assert sorted(to for to, _, _ in accepted) == sorted(emails)
    deliveries = _deliveries(app, notification)
    with app.app_context():
        key = message_key(db.session.get(Notification, notification))
    unsubscribe_links = set()
    for to, person, payload in accepted:
        delivery = deliveries[to]
        assert person["custom_args"] == {"delivery_id": str(delivery.id),
                                         "notification_id": str(notification)}
        message_id = person["headers"]["Message-ID"]
        assert message_id == delivery.message_id
        assert message_id.startswith(f"<{delivery_message_local(notification, delivery.id, key)}@")
        assert person["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        one_click = re.fullmatch(r"<(http\S+)>", person["headers"]["List-Unsubscribe"]).group(1)
        assert "List-Unsubscribe" not in payload.get("headers", {})
        assert payload["headers"]["List-Id"] and payload["subject"].startswith("[Acme Status]")
        text = _as_sendgrid_sends(person, payload)
        unsubscribe = re.search(r"http://\S+/unsubscribe/\S+", text).group(0)
        token = unsubscribe.split("/unsubscribe/")[1]
        assert one_click.split("/unsubscribe/")[1].split("/")[0] == token
        unsubscribe_links.add(unsubscribe)
        assert delivery.smtp_code == 202 and delivery.smtp_response.startswith("sg-")
    assert len(unsubscribe_links) == 7, "each recipient has a link of its own"
    # The link a recipient got works: it is that subscriber's.
    to, person, payload = accepted[4]
    page = client.get(re.search(r"http://[^/]+(/unsubscribe/\S+)", _as_sendgrid_sends(
        person, payload)).group(1))
    assert page.status_code == 200


def test_refused_recipients_fail_and_the_rest_of_their_request_goes_again(
        app, sendgrid, run_jobs):
    enable_notifications(app)
    good = add_subscribers(app, 5)
    (bad,) = add_subscribers(app, 1, prefix="refused")
    sendgrid.refused_recipients.add(bad)
    notification = publish_incident(app)
    run_jobs()

    assert delivery_states(app, notification) == {"sent": 5, "failed": 1}
    assert sorted(to for to, _, _ in sendgrid.accepted()) == sorted(good)
    failed = _deliveries(app, notification)[bad]
    assert failed.smtp_code == 400 and INVALID_ADDRESS in failed.smtp_response
    # One request refused whole (nothing sent), then the same one without the address.
    assert sendgrid.received == len(sendgrid.requests) + 1


@pytest.mark.parametrize("status", [429, 503])
def test_a_busy_api_retries_that_request_only_and_each_copy_once(app, sendgrid, run_jobs, status):
    enable_notifications(app)
    emails = add_subscribers(app, 7)
    sendgrid.answers.append((status, [{"message": "busy", "field": None}]))
    notification = publish_incident(app)
    run_jobs()

    assert delivery_states(app, notification) == {"sent": 4, "queued": 3}
    with app.app_context():
        waiting = db.session.scalars(select(Delivery).where(Delivery.state == "queued")).all()
        assert {d.smtp_code for d in waiting} == {status}
        assert all(d.attempts == 1 and d.next_attempt_at is not None for d in waiting)
    sweep(app)
    run_jobs()
    assert delivery_states(app, notification) == {"sent": 7}
    received = collections.Counter(to for to, _, _ in sendgrid.accepted())
    assert sorted(received) == sorted(emails) and set(received.values()) == {1}


def test_a_refused_key_pauses_the_notice_and_sends_nothing(app, sendgrid, run_jobs):
    enable_notifications(app)
    add_subscribers(app, 4)
    sendgrid.api_key = "SG.another-key"
    notification = publish_incident(app)
    run_jobs()
    assert notification_state(app, notification) == "paused"
    assert delivery_states(app, notification) == {"queued": 4}
    assert not sendgrid.requests


def test_one_message_per_request_when_asked(app, sendgrid, run_jobs):
    app.config["SENDGRID_RECIPIENTS_PER_REQUEST"] = 1
    enable_notifications(app)
    emails = add_subscribers(app, 3)
    notification = publish_incident(app)
    run_jobs()
    assert delivery_states(app, notification) == {"sent": 3}
    assert [len(p["personalizations"]) for _, p in sendgrid.requests] == [1, 1, 1]
    deliveries = _deliveries(app, notification)
    for to, person, _ in sendgrid.accepted():
        assert person["custom_args"] == {"delivery_id": str(deliveries[to].id),
                                         "notification_id": str(notification)}
    assert sorted(to for to, _, _ in sendgrid.accepted()) == sorted(emails)


def test_a_worker_killed_while_a_request_is_out_marks_all_of_it_and_resends_the_same_ids(
        app, sendgrid, worker_processes):
    """SendGrid has the request (and will accept it) when the worker dies: every delivery
    in it may have been sent, not only the lowest; their copies carry the same Message-IDs."""
    enable_notifications(app)
    emails = add_subscribers(app, 7)
    gate = Gate(2, reply_after=None)
    sendgrid.before_answer = lambda number, payload: gate(number, payload)
    worker = worker_processes(STATUSMAIL_DELIVERY_LEASE_SECONDS=LEASE,
                              STATUSMAIL_SENDGRID_API_URL=sendgrid.url,
                              STATUSMAIL_SENDGRID_RECIPIENTS_PER_REQUEST=PER_REQUEST)
    notification = publish_incident(app)

    assert gate.reached.wait(90), "the worker never sent its second request"
    worker.send_signal(signal.SIGKILL)
    worker.wait(10)
    gate.opened.set()
    wait_until(lambda: len(sendgrid.requests) == 2, message="the held request accepted")
    in_flight = {person["to"][0]["email"]: person["headers"]["Message-ID"]
                 for person in sendgrid.requests[1][1]["personalizations"]}
    assert len(in_flight) == PER_REQUEST
    assert delivery_states(app, notification) == {"sent": 3, "sending": 4}

    def released():
        with app.app_context():
            return release_expired_leases()

    wait_until(released, timeout=LEASE * 5, interval=0.1, message="the lease to expire")
    deliveries = _deliveries(app, notification)
    assert {to for to, d in deliveries.items() if d.maybe_sent_before} == set(in_flight)
    with app.app_context():
        assert db.session.get(Notification, notification).maybe_sent_twice == PER_REQUEST
    drain_queues(app)

    assert delivery_states(app, notification) == {"sent": 7}
    received = collections.Counter(to for to, _, _ in sendgrid.accepted())
    assert set(received) == set(emails)
    assert {to for to, count in received.items() if count > 1} == set(in_flight)
    for to, person, _ in sendgrid.accepted()[-4:]:
        if to in in_flight:
            assert person["headers"]["Message-ID"] == in_flight[to]


def test_through_sendgrid_a_fanout_job_is_one_request(make_app):
    """Jobs (the expansion's first included) hold a request's worth of deliveries, not
    ``FANOUT_BATCH_SIZE``: a 10,000-subscriber notice is about ten requests."""
    app = make_app(SENDGRID_RECIPIENTS_PER_REQUEST=6, FANOUT_BATCH_SIZE=2)
    double = SendGridDouble(KEY).start()
    try:
        use_sendgrid(app, double)
        enable_notifications(app)
        add_subscribers(app, 15)
        notification = publish_incident(app, expand=False)
        drain_queues(app)
        assert delivery_states(app, notification) == {"sent": 15}
        assert double.sizes == [6, 6, 3]
    finally:
        double.stop()
