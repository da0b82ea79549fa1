"""Work survives a worker killed mid-batch and a Redis that forgets its jobs."""
import signal

import pytest

from statusmail.fanout.sweeper import release_expired_leases
from statusmail.queues import get_queue, redis_connection
from statusmail.services import scheduler
from tests.support.processes import stop, wait_until
from tests.support.web import drain_queues

from .conftest import Gate
from .helpers import (
    add_subscribers, delivery_states, enable_notifications, notification_state, publish_incident,
    recipients,
)

LEASE = 2


def sweep(app):
    with app.app_context():
        scheduler.tick()


def test_worker_killed_mid_batch_each_subscriber_gets_exactly_one(
        app, hooked_smtp, run_jobs, worker_processes):
    enable_notifications(app)
    emails = add_subscribers(app, 8)
    # Messages 1-3 are accepted and recorded; the 4th is held until the worker is dead,
    # and then refused, so it was never accepted.
    gate = Gate(4, reply_after="451 4.3.0 Try again")
    hooked_smtp.before_data = gate
    worker = worker_processes(STATUSMAIL_DELIVERY_LEASE_SECONDS=LEASE)
    notification = publish_incident(app)

    assert gate.reached.wait(30), "the worker never reached message 4"
    worker.send_signal(signal.SIGKILL)
    worker.wait(10)
    gate.opened.set()
    stop(worker)
    assert len(hooked_smtp.messages) == 3
    assert delivery_states(app, notification) == {"sent": 3, "sending": 5}

    def released():
        with app.app_context():
            return release_expired_leases()

    wait_until(released, timeout=LEASE * 5, interval=0.1, message="the lease to expire")
    run_jobs()
    assert recipients(hooked_smtp) == sorted(emails)
    assert notification_state(app, notification) == "completed"


@pytest.fixture
def small_batches(make_app):
    return make_app(FANOUT_BATCH_SIZE=3)


def test_redis_flushed_mid_fan_out_is_recovered_by_the_sweeper(small_batches, hooked_smtp,
                                                                run_jobs):
    app = small_batches
    enable_notifications(app)
    emails = add_subscribers(app, 10)

    def flush_redis(number, envelope):
        if number == 2:
            with app.app_context():
                redis_connection().flushdb()

    hooked_smtp.before_data = flush_redis
    notification = publish_incident(app)
    run_jobs()
    # The first job finished its batch; the jobs for the other seven are gone.
    assert len(hooked_smtp.messages) == 3
    assert delivery_states(app, notification) == {"sent": 3, "queued": 7}

    sweep(app)
    run_jobs()
    assert recipients(hooked_smtp) == sorted(emails)
    assert notification_state(app, notification) == "completed"
    sweep(app)
    run_jobs()
    assert len(hooked_smtp.messages) == 10


def test_a_long_batch_keeps_its_lease(make_app, hooked_smtp):
    """Sending slower than the lease lasts: the worker renews it, the sweeper takes nothing."""
    app = make_app(DELIVERY_LEASE_SECONDS=1, FANOUT_CHECK_SECONDS=0)
    enable_notifications(app, rate_per_second=2)
    emails = add_subscribers(app, 5)
    released = []

    def sweep_meanwhile(number, envelope):
        if number == 5:  # two seconds in: twice the lease
            with app.app_context():
                released.append(release_expired_leases())

    hooked_smtp.before_data = sweep_meanwhile
    notification = publish_incident(app)
    drain_queues(app)
    assert released == [0]
    assert recipients(hooked_smtp) == sorted(emails)
    assert notification_state(app, notification) == "completed"


def test_a_job_lost_before_its_claim_is_queued_again(make_app, smtp):
    app = make_app(FANOUT_STALE_SECONDS=0)
    enable_notifications(app)
    emails = add_subscribers(app, 3)
    notification = publish_incident(app)
    with app.app_context():
        get_queue("fanout").empty()  # as if its worker died between dequeue and claim
    sweep(app)
    drain_queues(app)
    assert recipients(smtp) == sorted(emails)
    assert notification_state(app, notification) == "completed"
