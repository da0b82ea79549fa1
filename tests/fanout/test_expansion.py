"""Publishing records the notice; a job expands its audience, once, in chunks, and the
sweeper restarts an expansion whose job Redis lost or whose worker died."""
import pytest
from sqlalchemy import func, select, update

from statusmail.extensions import db
from statusmail.fanout import cancel_notification
from statusmail.fanout.expand import expand_chunk, restart_lapsed_expansions
from statusmail.jobs.expansion import expand_audience as expansion_job
from statusmail.models import Delivery, Notification
from statusmail.queues import get_queue, redis_connection
from statusmail.services import scheduler
from tests.support.processes import wait_until
from tests.support.sql import counting_statements
from tests.support.web import submit

from .helpers import (
    add_subscribers, delivery_states, enable_notifications, notification_state, publish_incident,
    recipients,
)


def _notice(app, notification_id):
    with app.app_context():
        row = db.session.get(Notification, notification_id)
        return {"total": row.total, "expanding": row.expanding, "state": row.state,
                "through": row.expanded_through}


def _delivery_count(app, notification_id):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Delivery)
                                 .where(Delivery.notification_id == notification_id))


def _queued_jobs(app):
    with app.app_context():
        return [job.func_name.rsplit(".", 1)[-1] for job in get_queue("fanout").get_jobs()]


def test_publishing_writes_no_delivery_and_queues_only_the_expansion(app):
    enable_notifications(app)
    add_subscribers(app, 30)
    notification = publish_incident(app, expand=False)
    assert _delivery_count(app, notification) == 0
    assert _notice(app, notification) == {"total": 0, "expanding": True, "state": "sending",
                                          "through": 0}
    assert _queued_jobs(app) == ["expand_audience"]


def _open_incident(client):
    return submit(client, "/admin/incidents/new", {
        "title": "Checkout is failing", "impact": "major", "status": "investigating",
        "message": "Payments time out.", "notify": "y"})


def test_the_publish_request_makes_the_same_statements_at_10_and_1000_subscribers(
        app, admin_client):
    enable_notifications(app)
    measured = []
    for count in (10, 990):
        add_subscribers(app, count, prefix=f"group{count}-")
        with counting_statements(app) as statements:
            response = _open_incident(admin_client)
        assert response.status_code == 302, response.text
        measured.append(dict(statements))
    assert measured[0] == measured[1], "the publish request grew with the list"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Delivery)) == 0
    assert _queued_jobs(app) == ["expand_audience", "expand_audience"]


def test_running_the_expansion_twice_adds_each_delivery_once(make_app):
    app = make_app(FANOUT_BATCH_SIZE=7, FANOUT_EXPAND_CHUNK=11)
    enable_notifications(app)
    emails = add_subscribers(app, 40)
    notification = publish_incident(app, expand=False)
    with app.app_context():
        while "continues" in expansion_job(notification):
            pass
        assert "0 deliveries added" in expansion_job(notification)  # a second, late run
    assert _delivery_count(app, notification) == len(emails)
    assert _notice(app, notification)["total"] == len(emails)
    # A run that read an old cursor (it raced another) moves it back over done chunks:
    # ON CONFLICT DO NOTHING keeps them done, and the total counts each delivery once.
    with app.app_context():
        db.session.execute(update(Notification).values(expanded_through=0, expanding=True))
        db.session.commit()
        while expand_chunk(notification, 11) is not None:
            pass
    assert _delivery_count(app, notification) == len(emails)
    after = _notice(app, notification)
    assert (after["total"], after["expanding"], after["state"]) == (len(emails), False, "sending")


def test_batches_are_queued_as_each_chunk_is_expanded(make_app, smtp, run_jobs):
    """The first run expands one batch worth, queues it, and hands the rest to a new job
    behind it: a single worker sends the first mail before expanding the rest."""
    app = make_app(FANOUT_BATCH_SIZE=5, FANOUT_EXPAND_CHUNK=20)
    enable_notifications(app)
    emails = add_subscribers(app, 50)
    notification = publish_incident(app, expand=False)
    with app.app_context():
        get_queue("fanout").empty()  # this test runs the expansion job itself
        expansion_job(notification)
    assert _queued_jobs(app) == ["send_batch", "expand_audience"]
    assert _notice(app, notification)["total"] == 5
    run_jobs()
    assert recipients(smtp) == sorted(emails)
    assert notification_state(app, notification) == "completed"


def test_a_notice_is_not_completed_before_its_audience_is_expanded(make_app, smtp, run_jobs):
    app = make_app(FANOUT_BATCH_SIZE=3)
    enable_notifications(app)
    add_subscribers(app, 9)
    notification = publish_incident(app, expand=False)
    with app.app_context():
        expand_chunk(notification, 3)
        get_queue("fanout").empty()
        from statusmail.jobs.fanout import send_batch
        ids = db.session.scalars(select(Delivery.id)).all()
        send_batch(notification, ids)  # the first chunk is all sent
    assert delivery_states(app, notification) == {"sent": 3}
    assert notification_state(app, notification) == "sending"


def test_cancelled_while_expanding_sends_nothing_more(app, smtp, run_jobs):
    enable_notifications(app)
    add_subscribers(app, 12)
    notification = publish_incident(app, expand=False)
    with app.app_context():
        assert cancel_notification(notification)
    run_jobs()
    assert smtp.messages == []
    assert _notice(app, notification)["expanding"] is False
    assert "queued" not in delivery_states(app, notification)


@pytest.fixture
def short_lease(make_app):
    return make_app(DELIVERY_LEASE_SECONDS=1)


def _sweep_until_restarted(app):
    def restarted():
        with app.app_context():
            return restart_lapsed_expansions()
    wait_until(restarted, timeout=10, interval=0.1, message="the sweeper to restart the expansion")


def test_redis_flushed_before_the_expansion_ran_is_recovered_by_the_sweeper(
        short_lease, smtp, worker_processes):
    app = short_lease
    enable_notifications(app)
    emails = add_subscribers(app, 25)
    notification = publish_incident(app, expand=False)
    with app.app_context():
        redis_connection().flushall()
    worker_processes(STATUSMAIL_DELIVERY_LEASE_SECONDS=1)
    with app.app_context():
        scheduler.tick()  # the lease has not lapsed yet: nothing to restart
    assert _delivery_count(app, notification) == 0
    _sweep_until_restarted(app)
    wait_until(lambda: len(smtp.messages) == len(emails), timeout=30,
               message="every subscriber's mail")
    wait_until(lambda: notification_state(app, notification) == "completed", timeout=10,
               message="the notice to complete")
    assert recipients(smtp) == sorted(emails)


def test_an_expansion_whose_worker_died_mid_way_is_finished_by_the_sweeper(
        short_lease, smtp, run_jobs):
    app = short_lease
    enable_notifications(app)
    emails = add_subscribers(app, 20)
    notification = publish_incident(app, expand=False)
    with app.app_context():
        expand_chunk(notification, 8)  # one chunk in (its batch queued), then the
        queue = get_queue("fanout")    # worker "dies": no expansion job is left
        for job in queue.get_jobs():
            if job.func_name.endswith("expand_audience"):
                queue.remove(job)
    assert _notice(app, notification)["total"] == 8
    _sweep_until_restarted(app)
    run_jobs()
    assert recipients(smtp) == sorted(emails)
    assert notification_state(app, notification) == "completed"
