"""One message that cannot be built or sent fails alone, with its error; the batch carries
on; and a job that crashes anyway ends in ``failed`` after ``MAX_ATTEMPTS``, never in a
loop. Real RQ workers, a real SMTP server; the rows are written as an older release (or a
hand-edited database) could have left them, past today's validation."""
import pytest
from rq.timeouts import JobTimeoutException
from sqlalchemy import insert, update

from statusmail.extensions import db
from statusmail.fanout.queue import MAX_ATTEMPTS
from statusmail.mail.smtp import SmtpTransport
from statusmail.models import Delivery, Notification, SiteSettings, Subscriber
from statusmail.services import scheduler
from statusmail.services.admin_banners import banners
from tests.support.web import use_smtp

from .helpers import (
    add_subscribers, delivery_states, enable_notifications, notification_state, publish_incident,
    recipients,
)

# email-validator 2.4 accepts it; the header parser decodes it to bytes that are not UTF-8.
POISONED = "=?utf-8?b?ysq6?='x@example.com"


@pytest.fixture
def app(make_app):
    """Backoffs and the stale-work backstop at zero: a test sweeps instead of waiting."""
    return make_app(FANOUT_RETRY_BASE_SECONDS=0, FANOUT_STALE_SECONDS=0)


def sweep(app):
    with app.app_context():
        scheduler.tick()


def add_raw_subscriber(app, email):
    with app.app_context():
        db.session.execute(insert(Subscriber), [{"email": email, "status": "confirmed"}])
        db.session.commit()


def deliveries(app, notification_id):
    """``{address: (state, attempts, smtp_response)}``."""
    with app.app_context():
        rows = db.session.execute(
            Delivery.__table__.select().with_only_columns(
                Subscriber.email, Delivery.state, Delivery.attempts, Delivery.smtp_response)
            .join_from(Delivery, Subscriber, Delivery.subscriber_id == Subscriber.id)
            .where(Delivery.notification_id == notification_id)).all()
        return {row[0]: tuple(row[1:]) for row in rows}


def sweep_until_settled(app, run_jobs, notification_id, rounds):
    """Sweep and run jobs until nothing waits; the number of rounds it took."""
    for round_number in range(1, rounds + 1):
        sweep(app)
        run_jobs()
        if not set(delivery_states(app, notification_id)) & {"queued", "sending"}:
            return round_number
    raise AssertionError(f"still unfinished after {rounds} rounds: "
                         f"{delivery_states(app, notification_id)}")


def test_a_poisoned_address_fails_alone_with_its_error_and_the_rest_is_delivered(
        app, hooked_smtp, run_jobs, admin_client):
    enable_notifications(app)
    before = add_subscribers(app, 2, prefix="before")
    add_raw_subscriber(app, POISONED)
    after = add_subscribers(app, 2, prefix="after")
    notification = publish_incident(app)
    run_jobs()

    assert recipients(hooked_smtp) == sorted(before + after)
    assert notification_state(app, notification) == "completed"
    state, attempts, response = deliveries(app, notification)[POISONED]
    assert (state, attempts) == ("failed", 1)
    assert response.startswith("Message cannot be encoded: the recipient address")
    assert "encoded word" in response
    page = admin_client.get(f"/admin/deliveries/{notification}")
    assert page.status_code == 200 and "Message cannot be encoded" in page.text
    with app.app_context():  # a failure of its form is not a bounce
        assert Subscriber.query.filter_by(email=POISONED).one().bounce_count == 0


def test_a_send_that_raises_every_time_fails_each_delivery_once_with_the_error(
        app, smtp, run_jobs, monkeypatch):
    def broken_send(self, message, raw=None):
        raise RuntimeError(f"transport bug for {message.recipients[0]}")

    monkeypatch.setattr(SmtpTransport, "send", broken_send)
    enable_notifications(app)
    emails = add_subscribers(app, 3)
    notification = publish_incident(app)
    assert sweep_until_settled(app, run_jobs, notification, rounds=MAX_ATTEMPTS + 2) == 1
    found = deliveries(app, notification)
    assert {email: found[email][:2] for email in emails} == {e: ("failed", 1) for e in emails}
    assert found[emails[0]][2] == (f"Unexpected error while sending: RuntimeError: transport "
                                   f"bug for {emails[0]}")
    sweep(app)
    assert notification_state(app, notification) == "completed"


def test_a_job_that_crashes_on_one_delivery_every_time_ends_it_failed(
        app, smtp, run_jobs, monkeypatch):
    """What escapes a message (here the job's time limit) ends the job; the attempt of the
    delivery in flight stays counted, the untried ones are not charged."""
    enable_notifications(app)
    first, stuck, last = add_subscribers(app, 3)
    real_send = SmtpTransport.send

    def hanging_send(self, message, raw=None):
        if message.recipients[0] == stuck:
            raise JobTimeoutException("Task exceeded maximum timeout value")
        return real_send(self, message, raw)

    monkeypatch.setattr(SmtpTransport, "send", hanging_send)
    notification = publish_incident(app)
    run_jobs()
    assert deliveries(app, notification)[stuck][:2] == ("queued", 1)

    sweep_until_settled(app, run_jobs, notification, rounds=MAX_ATTEMPTS + 2)
    found = deliveries(app, notification)
    assert found[stuck][:2] == ("failed", MAX_ATTEMPTS)
    assert "JobTimeoutException" in found[stuck][2]
    assert found[first][:2] == ("sent", 1) and found[last][:2] == ("sent", 1)
    assert recipients(smtp) == sorted([first, last])
    sweep(app)
    assert notification_state(app, notification) == "completed"


def test_a_notice_that_cannot_be_rendered_fails_after_max_attempts(app, smtp, run_jobs):
    enable_notifications(app)
    add_subscribers(app, 2)
    notification = publish_incident(app)
    with app.app_context():  # a snapshot the templates cannot render, as a bug could write
        db.session.execute(update(Notification).where(Notification.id == notification)
                           .values(context={"kind": "incident_created"}))
        db.session.commit()
    run_jobs()
    assert {s[:2] for s in deliveries(app, notification).values()} == {("queued", 1)}

    sweep_until_settled(app, run_jobs, notification, rounds=MAX_ATTEMPTS + 2)
    found = deliveries(app, notification).values()
    assert {s[:2] for s in found} == {("failed", MAX_ATTEMPTS)}
    assert all("KeyError" in s[2] for s in found)
    assert smtp.messages == []


@pytest.mark.parametrize("username", ["mailer\u2028", "mailer\u0085"])
def test_an_smtp_username_smtplib_cannot_send_pauses_the_notice_with_a_banner(
        app, smtp_server, run_jobs, username):
    server = smtp_server(users={"mailer": "right horse battery"}, auth_require_tls=False)
    # As stored before the settings form refused it.
    use_smtp(app, server, smtp_username=username, password="right horse battery")
    enable_notifications(app)
    add_subscribers(app, 2)
    notification = publish_incident(app)
    run_jobs()

    assert server.messages == []
    assert notification_state(app, notification) == "paused"
    with app.app_context():
        assert "SMTP username contains a control character" in \
            db.session.get(SiteSettings, 1).provider_failure
        assert any("Sending is paused" in text for _, text in banners())
        # Released untouched: the failure was the settings', not the deliveries'.
        assert {(row.state, row.attempts) for row in Delivery.query} == {("queued", 0)}


@pytest.mark.parametrize("field", ["from_address", "reply_to"])
def test_a_stored_sender_mail_cannot_carry_pauses_the_notice_with_a_banner(
        app, smtp, run_jobs, field):
    with app.app_context():  # as stored before the settings form refused it
        setattr(SiteSettings.get(), field, POISONED)
        db.session.commit()
    enable_notifications(app)
    add_subscribers(app, 2)
    notification = publish_incident(app)
    run_jobs()

    assert smtp.messages == []
    assert notification_state(app, notification) == "paused"
    with app.app_context():
        failure = db.session.get(SiteSettings, 1).provider_failure
        assert failure.startswith("A setting cannot be put in a mail") and POISONED in failure
        assert {(row.state, row.attempts) for row in Delivery.query} == {("queued", 0)}
