"""Pause, resume, cancel and retry while a fan-out runs: nobody skipped, nobody twice."""
import pytest

from statusmail.extensions import db
from statusmail.fanout import (
    cancel_notification, notification_progress, pause_notification, resume_notification,
    retry_failed,
)
from statusmail.jobs.fanout import send_batch
from statusmail.models import Delivery, Notification
from statusmail.queues import get_queue

from .helpers import (
    add_subscribers, delivery_states, enable_notifications, notification_state, publish_incident,
    recipients,
)

SUBSCRIBERS = 10


@pytest.fixture
def app(make_app):
    """Several jobs per notice, and workers that look at its state before every message."""
    return make_app(FANOUT_BATCH_SIZE=4, FANOUT_CHECK_SECONDS=0)


def act_on_message(app, server, number, action):
    """Call ``action(notification_id)`` while the server holds message ``number``."""
    holder = {}

    def hook(seen, envelope):
        if seen == number:
            with app.app_context():
                action(holder["id"])
        return None

    server.before_data = hook
    return holder


def test_pause_then_resume_sends_each_message_once(app, hooked_smtp, run_jobs):
    enable_notifications(app)
    emails = add_subscribers(app, SUBSCRIBERS)
    holder = act_on_message(app, hooked_smtp, 3, pause_notification)
    holder["id"] = notification = publish_incident(app)
    run_jobs()

    # The message in flight when the pause came finished; nothing after it was sent.
    assert len(hooked_smtp.messages) == 3
    assert notification_state(app, notification) == "paused"
    assert delivery_states(app, notification) == {"sent": 3, "queued": SUBSCRIBERS - 3}
    with app.app_context():
        progress = notification_progress(notification)
        assert progress["state"] == "paused" and not progress["done"]
        assert progress["counts"]["sent"] == 3 and progress["percent"] == 30.0
        assert not pause_notification(notification), "pausing twice does nothing"

        hooked_smtp.before_data = None
        assert resume_notification(notification)
        assert not resume_notification(notification)
    run_jobs()
    assert recipients(hooked_smtp) == sorted(emails)
    with app.app_context():
        progress = notification_progress(notification)
    assert progress["state"] == "completed" and progress["done"]
    assert progress["percent"] == 100.0 and progress["counts"]["sent"] == SUBSCRIBERS
    assert progress["total"] == SUBSCRIBERS and progress["duration_sec"] >= 0


def test_cancel_mid_way_sends_nothing_more(app, hooked_smtp, run_jobs):
    enable_notifications(app)
    add_subscribers(app, SUBSCRIBERS)
    holder = act_on_message(app, hooked_smtp, 6, cancel_notification)
    holder["id"] = notification = publish_incident(app)
    run_jobs()

    assert len(hooked_smtp.messages) == 6
    assert delivery_states(app, notification) == {"sent": 6, "cancelled": SUBSCRIBERS - 6}
    assert notification_state(app, notification) == "cancelled"
    with app.app_context():
        assert not resume_notification(notification)
        assert retry_failed(notification) == 0
        assert notification_progress(notification)["done"]
    run_jobs()
    assert len(hooked_smtp.messages) == 6


def test_running_a_batch_job_twice_sends_nothing_the_second_time(app, smtp, run_jobs):
    enable_notifications(app)
    emails = add_subscribers(app, 3)
    notification = publish_incident(app)
    run_jobs()
    with app.app_context():
        before = [(row.id, row.state, row.attempts, row.message_id) for row in
                  Delivery.query.order_by(Delivery.id)]
        get_queue("fanout").enqueue(send_batch, notification, [row[0] for row in before])
    run_jobs()
    assert recipients(smtp) == sorted(emails)
    with app.app_context():
        assert before == [(row.id, row.state, row.attempts, row.message_id) for row in
                          Delivery.query.order_by(Delivery.id)]


def test_retry_failed_requeues_failures_only(app, smtp, run_jobs):
    enable_notifications(app)
    emails = add_subscribers(app, 4)
    smtp.data_replies.extend(["554 5.7.1 Rejected by policy"] * 2)
    notification = publish_incident(app)
    run_jobs()
    assert delivery_states(app, notification) == {"sent": 2, "failed": 2}
    assert notification_state(app, notification) == "completed"

    with app.app_context():
        assert retry_failed(notification) == 2
        assert db.session.get(Notification, notification).state == "sending"
    run_jobs()
    assert recipients(smtp) == sorted(emails)
    assert delivery_states(app, notification) == {"sent": 4}
    assert notification_state(app, notification) == "completed"
