"""When the server says no: retry what may work later, stop what cannot, count bounces."""
import pytest

from statusmail import crypto
from statusmail.extensions import db
from statusmail.models import Delivery, SiteSettings, Subscriber, Suppression
from statusmail.models.subscribers import SUPPRESS_AFTER_BOUNCES
from statusmail.services import scheduler
from statusmail.services.admin_banners import banners
from statusmail.services.provider_health import clear_provider_failure
from tests.support.web import use_smtp

from .helpers import (
    add_subscribers, delivery_states, enable_notifications, notification_state, publish_incident,
    recipients,
)


@pytest.fixture
def app(make_app):
    """Retries due at once, so a test can run the sweeper instead of waiting out a backoff."""
    return make_app(FANOUT_RETRY_BASE_SECONDS=0)


def sweep(app):
    with app.app_context():
        scheduler.tick()


def test_a_temporary_refusal_is_retried_and_delivered_once(app, hooked_smtp, run_jobs):
    enable_notifications(app)
    emails = add_subscribers(app, 3)
    hooked_smtp.data_replies.append("451 4.3.0 Try again later")
    notification = publish_incident(app)
    run_jobs()
    assert len(hooked_smtp.messages) == 2
    assert delivery_states(app, notification) == {"sent": 2, "queued": 1}
    with app.app_context():
        waiting = Delivery.query.filter_by(state="queued").one()
        assert waiting.attempts == 1 and waiting.next_attempt_at is not None
        assert "451" in waiting.smtp_response

    sweep(app)
    run_jobs()
    assert recipients(hooked_smtp) == sorted(emails)
    assert notification_state(app, notification) == "completed"


def test_a_rejected_recipient_fails_counts_a_bounce_and_is_suppressed(app, smtp, run_jobs):
    enable_notifications(app)
    good = add_subscribers(app, 2)
    (bad,) = add_subscribers(app, 1, prefix="gone")
    smtp.rcpt_replies[bad] = "550 5.1.1 No such user"

    for round_number in range(1, SUPPRESS_AFTER_BOUNCES + 1):
        notification = publish_incident(app, title=f"Outage {round_number}")
        run_jobs()
        assert delivery_states(app, notification) == {"sent": 2, "failed": 1}
        assert notification_state(app, notification) == "completed"
        with app.app_context():
            subscriber = Subscriber.query.filter_by(email=bad).one()
            assert subscriber.bounce_count == round_number
            assert "550" in subscriber.last_bounce
            failed = Delivery.query.filter_by(notification_id=notification, state="failed").one()
            assert failed.smtp_code == 550 and "No such user" in failed.smtp_response
    with app.app_context():
        assert Subscriber.query.filter_by(email=bad).one().status == "bounced"
        # The address is on the suppression list too, caused by the last notice's mail.
        (entry,) = Suppression.query.filter_by(email=bad).all()
        assert (entry.reason, entry.source, entry.notification_id) == (
            "smtp_refusal", "smtp", notification)
        assert entry.active and "550" in entry.detail

    suppressed_next = publish_incident(app, title="After suppression")
    run_jobs()
    assert delivery_states(app, suppressed_next) == {"sent": 2}
    assert recipients(smtp).count(bad) == 0
    assert all(recipients(smtp).count(email) == SUPPRESS_AFTER_BOUNCES + 1 for email in good)


def test_server_down_then_back_delivers_everything_once(app, hooked_smtp, run_jobs):
    enable_notifications(app)
    emails = add_subscribers(app, 4)
    hooked_smtp.stop()
    notification = publish_incident(app)
    run_jobs()
    assert delivery_states(app, notification) == {"queued": 4}
    with app.app_context():
        rows = Delivery.query.all()
        assert all(row.next_attempt_at is not None and row.attempts == 1 for row in rows)
        assert "Connection refused" in rows[0].smtp_response

    hooked_smtp.restart()
    sweep(app)
    run_jobs()
    assert recipients(hooked_smtp) == sorted(emails)
    assert notification_state(app, notification) == "completed"


def test_provider_wide_failure_pauses_until_settings_are_saved(app, smtp_server, run_jobs):
    enable_notifications(app)
    server = smtp_server(users={"mailer": "right password"}, auth_require_tls=False)
    use_smtp(app, server, smtp_username="mailer", password="wrong password")
    emails = add_subscribers(app, 3)
    notification = publish_incident(app)
    run_jobs()

    assert server.messages == []
    assert notification_state(app, notification) == "paused"
    with app.app_context():
        assert db.session.get(SiteSettings, 1).provider_failure.startswith("Authentication")
        assert any("Sending is paused" in text for _, text in banners())
        # Released untouched: the failure was not the deliveries' fault.
        assert {(row.state, row.attempts) for row in Delivery.query} == {("queued", 0)}

    sweep(app)
    run_jobs()
    assert server.messages == [] and notification_state(app, notification) == "paused"

    with app.app_context():  # what saving Email settings does
        SiteSettings.get().smtp_password_encrypted = crypto.encrypt("right password")
        clear_provider_failure()
        db.session.commit()
    sweep(app)
    run_jobs()
    assert recipients(server) == sorted(emails)
    assert notification_state(app, notification) == "completed"


def test_an_operator_pause_is_not_lifted_by_the_provider_recovering(app, smtp, run_jobs):
    from statusmail.fanout import pause_notification
    enable_notifications(app)
    add_subscribers(app, 2)
    notification = publish_incident(app)
    with app.app_context():
        assert pause_notification(notification)
    sweep(app)
    run_jobs()
    assert smtp.messages == [] and notification_state(app, notification) == "paused"


def test_a_notice_survives_notifications_being_turned_off(app, smtp, run_jobs):
    enable_notifications(app)
    emails = add_subscribers(app, 2)
    notification = publish_incident(app)
    with app.app_context():
        SiteSettings.get().notifications_enabled = False
        db.session.commit()
    run_jobs()
    assert recipients(smtp) == sorted(emails)
    assert notification_state(app, notification) == "completed"
