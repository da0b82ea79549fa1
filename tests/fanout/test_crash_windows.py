"""The moments a crash hurts most: mid-DATA, between job start and claim, and a flushed Redis.

Each test kills a real worker process with SIGKILL (or flushes the real Redis under it)
and then lets the sweeper and fresh workers recover, the way production would.
"""
import collections
import contextlib
import signal
import sqlite3

import pytest
from rq import Worker
from rq.registry import FailedJobRegistry, StartedJobRegistry
from sqlalchemy import make_url, select, text

from statusmail.extensions import db
from statusmail.fanout.sweeper import release_expired_leases
from statusmail.models import Delivery, Notification, Subscriber
from statusmail.queues import get_queue, redis_connection
from statusmail.services import scheduler
from tests.support import processes
from tests.support.processes import stop, wait_until
from tests.support.web import drain_queues

from .conftest import Gate
from .helpers import add_subscribers, delivery_states, enable_notifications, publish_incident

LEASE = 2


@pytest.fixture
def app(make_app):
    return make_app(DELIVERY_LEASE_SECONDS=LEASE)


def sweep_and_drain(app):
    with app.app_context():
        scheduler.tick()
    drain_queues(app)


def message_ids(server):
    return collections.Counter(message.message["Message-ID"] for message in server.messages)


def fanout_registries(app):
    """(started job ids, failed job ids) of the fan-out queue, as the RQ dashboard lists them."""
    with app.app_context():
        queue = get_queue("fanout")
        return (StartedJobRegistry(queue=queue).get_job_ids(cleanup=False),
                FailedJobRegistry(queue=queue).get_job_ids(cleanup=False))


def test_a_worker_killed_after_data_resends_only_that_message_with_its_message_id(
        app, hooked_smtp, worker_processes, admin_client):
    enable_notifications(app)
    emails = add_subscribers(app, 6)
    # The server has message 3 (DATA is over) and holds its reply while the worker dies;
    # then it accepts it: the server has the mail, the database never heard of it.
    gate = Gate(3, reply_after=None)
    hooked_smtp.before_data = gate
    worker = worker_processes(STATUSMAIL_DELIVERY_LEASE_SECONDS=LEASE)
    notification = publish_incident(app)

    assert gate.reached.wait(30), "the worker never reached message 3"
    worker.send_signal(signal.SIGKILL)
    worker.wait(10)
    gate.opened.set()
    hooked_smtp.wait_for(3)
    in_flight = hooked_smtp.messages[2]
    assert delivery_states(app, notification) == {"sent": 2, "sending": 4}

    def released():
        with app.app_context():
            return release_expired_leases()

    wait_until(released, timeout=LEASE * 5, interval=0.1, message="the lease to expire")
    drain_queues(app)

    received = collections.Counter(message.to for message in hooked_smtp.messages)
    assert set(received) == set(emails)
    assert {to for to, count in received.items() if count > 1} == {in_flight.to}
    assert received[in_flight.to] == 2
    ids = message_ids(hooked_smtp)
    assert ids[in_flight.message["Message-ID"]] == 2, "the copy must carry the same Message-ID"
    assert len(ids) == len(emails) and sum(ids.values()) == len(emails) + 1
    with app.app_context():
        marked = db.session.execute(
            select(Subscriber.email).join(Delivery, Delivery.subscriber_id == Subscriber.id)
            .where(Delivery.maybe_sent_before.is_(True))).scalars().all()
        assert marked == [in_flight.to]
        assert db.session.get(Notification, notification).maybe_sent_twice == 1
        sent = db.session.scalars(select(Delivery.message_id).join(Subscriber)
                                  .where(Subscriber.email == in_flight.to)).one()
        assert sent == in_flight.message["Message-ID"]
    wait_until(lambda: sweep_and_drain(app) or not any(fanout_registries(app)),
               timeout=LEASE * 5, interval=0.2, message="the dead job to leave the registry")
    assert fanout_registries(app) == ([], []), "a job whose work others finished is no failure"
    page = admin_client.get(f"/admin/deliveries/{notification}")
    assert "1 delivery possibly sent before: a worker died mid-send" in " ".join(page.text.split())


@contextlib.contextmanager
def claims_blocked(app):
    """Hold a write lock on the deliveries so that a worker's claim waits (and never commits)."""
    with app.app_context():
        url = make_url(str(db.engine.url))
        dialect = db.engine.dialect.name
    if dialect == "sqlite":
        connection = sqlite3.connect(url.database, isolation_level=None, timeout=30)
        connection.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            connection.execute("ROLLBACK")
            connection.close()
        return
    with app.app_context():
        with db.engine.connect() as connection:
            transaction = connection.begin()
            connection.execute(text("LOCK TABLE deliveries IN EXCLUSIVE MODE"))
            try:
                yield
            finally:
                transaction.rollback()


def claim_waiting_on_lock(app):
    """PostgreSQL can show that the worker is inside its claim; SQLite cannot (then: True)."""
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            return True
        with db.engine.connect() as connection:
            return connection.scalar(text(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                "AND query LIKE 'UPDATE deliveries%'"))


def test_a_worker_killed_between_job_start_and_claim_is_recovered_within_the_lease(
        app, smtp, worker_processes):
    enable_notifications(app)
    emails = add_subscribers(app, 5)
    notification = publish_incident(app)  # its job waits: no worker runs yet
    with claims_blocked(app):
        worker = worker_processes(STATUSMAIL_DELIVERY_LEASE_SECONDS=LEASE)
        wait_until(lambda: fanout_registries(app)[0], timeout=30,
                   message="RQ to start the batch job")
        wait_until(lambda: claim_waiting_on_lock(app), timeout=30,
                   message="the job to wait in its claim")
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
    stop(worker)
    assert delivery_states(app, notification) == {"queued": 5}
    assert len(fanout_registries(app)[0]) == 1  # RQ still thinks the job runs

    # RQ would call it abandoned only after its job timeout (600 s) plus a minute.
    wait_until(lambda: sweep_and_drain(app) or delivery_states(app, notification) == {"sent": 5},
               timeout=LEASE + 1 + 10, interval=0.2,
               message="the batch to be recovered within the lease and a sweeper tick")
    assert sorted(message.to for message in smtp.messages) == sorted(emails)
    assert fanout_registries(app) == ([], []), "a job whose work others finished is no failure"


def registered_worker_names(app):
    with app.app_context():
        return {worker.name for worker in Worker.all(connection=redis_connection())}


def test_running_workers_register_again_after_redis_is_flushed(app, admin_client):
    worker = processes.start_flask("worker", "--name", "flushed-worker", "--ttl", "16")
    try:
        wait_until(lambda: "flushed-worker" in admin_client.get("/admin/").text, timeout=30,
                   message="the worker to register")
        with app.app_context():
            redis_connection().flushall()
        # An idle worker with a 16 s registration heartbeats every second.
        wait_until(lambda: "flushed-worker" in registered_worker_names(app), timeout=10,
                   message="the worker to register again")
        page = admin_client.get("/admin/")
        assert "flushed-worker" in page.text
        assert "no worker is running" not in page.text.lower()
    finally:
        stop(worker)
