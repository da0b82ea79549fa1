"""One-off mail (confirmation, password reset, test send) whatever goes wrong: the failure is
recorded with its error, and no mail is retried for ever, not even one that crashes its
worker each time. Real RQ workers, real SMTP servers."""
import pytest
from rq.timeouts import JobTimeoutException
from sqlalchemy import insert

from statusmail.extensions import db
from statusmail.mail.smtp import SmtpTransport
from statusmail.models import OutboundMail, Subscriber
from statusmail.queues import get_queue
from statusmail.services import scheduler
from statusmail.services.outbox import MAX_ATTEMPTS, queue_outbound
from tests.mail.support import result, save_settings, send_test, smtp_fields
from tests.support.web import create_admin, drain_queues, use_smtp

POISONED = "=?utf-8?b?ysq6?='x@example.com"


def sweep(app):
    with app.app_context():
        scheduler.tick()


def queue_confirmation(app, email):
    """A pending subscriber (written past today's validation) and its confirmation mail."""
    with app.app_context():
        db.session.execute(insert(Subscriber), [{"email": email, "status": "pending"}])
        subscriber = Subscriber.query.filter_by(email=email).one()
        return queue_outbound("confirm", email, subscriber_id=subscriber.id).id


def outbound(app, outbound_id):
    with app.app_context():
        row = db.session.get(OutboundMail, outbound_id)
        return row.state, row.attempts, row.diagnosis, row.result_message


def test_a_confirmation_to_an_unsendable_address_fails_once_and_others_go_out(
        app, smtp, run_jobs):
    poisoned = queue_confirmation(app, POISONED)
    fine = queue_confirmation(app, "fine@example.com")
    run_jobs()
    state, attempts, diagnosis, message = outbound(app, poisoned)
    assert (state, attempts, diagnosis) == ("failed", 1, "unsendable")
    assert "encoded word" in message
    assert outbound(app, fine)[0] == "sent"
    assert [m.to for m in smtp.wait_for(1)] == ["fine@example.com"]

    sweep(app)
    with app.app_context():
        assert get_queue("outbound").count == 0
    assert outbound(app, poisoned)[:2] == ("failed", 1)


def test_a_test_send_whose_transport_raises_reports_the_error(
        app, admin_client, smtp_server, run_jobs, monkeypatch):
    def broken_send(self, message, raw=None):
        raise RuntimeError("transport bug")

    monkeypatch.setattr(SmtpTransport, "send", broken_send)
    save_settings(admin_client, **smtp_fields(smtp_server()))
    outbound_id = send_test(admin_client)
    run_jobs()
    page, status = result(admin_client, outbound_id)
    assert status["state"] == "failed" and status["done"]
    assert status["title"] == "Unexpected error while sending"
    assert status["detail"] == "RuntimeError: transport bug"
    assert "RuntimeError: transport bug" in page


@pytest.fixture
def short_lease(make_app):
    """A lease that has run out by the next sweep: a crashed job's mail is handed on at once."""
    return make_app(DELIVERY_LEASE_SECONDS=0)


@pytest.mark.parametrize("kind", ["confirm", "password_reset"])
def test_a_mail_that_crashes_its_job_every_time_ends_failed(short_lease, smtp_server,
                                                             monkeypatch, kind):
    app = short_lease
    smtp = smtp_server()
    use_smtp(app, smtp)

    def hanging_send(self, message, raw=None):
        raise JobTimeoutException("Task exceeded maximum timeout value")

    monkeypatch.setattr(SmtpTransport, "send", hanging_send)
    if kind == "confirm":
        outbound_id = queue_confirmation(app, "pending@example.com")
    else:
        admin = create_admin(app)
        with app.app_context():
            outbound_id = queue_outbound(kind, admin.email, admin_user_id=admin.id).id
    drain_queues(app)
    assert outbound(app, outbound_id)[:2] == ("sending", 1)

    for _ in range(MAX_ATTEMPTS + 2):
        sweep(app)
        drain_queues(app)
        if outbound(app, outbound_id)[0] == "failed":
            break
    state, attempts, diagnosis, message = outbound(app, outbound_id)
    assert (state, attempts, diagnosis) == ("failed", MAX_ATTEMPTS, "unexpected")
    assert "stopped before finishing too many times" in message
    assert smtp.messages == []
