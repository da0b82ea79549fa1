"""A worker killed after it took a batch job off the queue and before RQ marked it started.

A worker of several queues takes a job with BLPOP and only then, a few milliseconds
later, puts it in the StartedJobRegistry. A worker that dies in between leaves the job
in no queue and no registry: nothing in RQ ever runs it, and its deliveries waited for
the sweeper's last resort (queued for a minute while no job of the notice is queued or
running, so after the rest of the fan-out), far beyond the lease.

The moment is made exactly: a real worker is stopped (SIGSTOP) while it waits in BLPOP,
the batch job is pushed onto the queue, and Redis itself hands it to the stopped worker;
then the worker is SIGKILLed.
"""
import signal

import pytest
from rq.registry import FailedJobRegistry, StartedJobRegistry

from statusmail.extensions import db
from statusmail.queues import get_queue, redis_connection
from statusmail.services import scheduler
from tests.fanout.helpers import (
    add_subscribers, delivery_states, enable_notifications, publish_incident,
)
from tests.support import processes
from tests.support.processes import wait_until
from tests.support.web import drain_queues

LEASE = 2
TICK = 1


@pytest.fixture
def app(make_app):
    return make_app(DELIVERY_LEASE_SECONDS=LEASE)


def _waiting_for_a_job(app):
    with app.app_context():
        return [client for client in redis_connection().client_list()
                if client.get("cmd") == "blpop" and "b" in client.get("flags", "")]


def _queued_job_ids(app):
    with app.app_context():
        return get_queue("fanout").get_job_ids()


def _take_batch_job_off_the_queue(app):
    with app.app_context():
        queue = get_queue("fanout")
        (job,) = queue.get_jobs()
        queue.remove(job)
        return job.id


def _push(app, job_id):
    with app.app_context():
        get_queue("fanout").push_job_id(job_id)


def test_a_worker_killed_between_dequeue_and_start_is_recovered_within_the_lease(app, smtp):
    enable_notifications(app)
    emails = add_subscribers(app, 5)
    notification = publish_incident(app)  # expanded here: one batch job waits in the queue
    job_id = _take_batch_job_off_the_queue(app)
    worker = processes.start_flask("worker", "--name", "dequeue-victim",
                                   env={"STATUSMAIL_DELIVERY_LEASE_SECONDS": str(LEASE)})
    try:
        wait_until(lambda: _waiting_for_a_job(app), timeout=30,
                   message="the worker to wait for a job")
        worker.send_signal(signal.SIGSTOP)
        _push(app, job_id)
        wait_until(lambda: _queued_job_ids(app) == [], timeout=10,
                   message="Redis to hand the job to the stopped worker")
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
    finally:
        processes.stop(worker)
    assert delivery_states(app, notification) == {"queued": 5}

    def sweep_and_drain():
        with app.app_context():
            scheduler.tick()
        drain_queues(app)
        return delivery_states(app, notification) == {"sent": 5}
    # The lease and a tick, and a tick's own run; without this fix: a minute and more.
    wait_until(sweep_and_drain, timeout=LEASE + TICK + 5, interval=TICK,
               message="the dequeued batch to be recovered within the lease and a tick")
    assert sorted(message.to for message in smtp.messages) == sorted(emails)
    with app.app_context():
        queue = get_queue("fanout")
        assert StartedJobRegistry(queue=queue).get_job_ids(cleanup=False) == []
        assert FailedJobRegistry(queue=queue).get_job_ids(cleanup=False) == []


def test_a_one_off_mail_whose_worker_died_between_dequeue_and_start_is_sent(app, smtp):
    """The outbox sweep took a job still marked "queued" for one that will run: a mail
    whose job its worker took and died with was never sent."""
    from statusmail.models import OutboundMail
    from statusmail.services.outbox import queue_outbound
    with app.app_context():
        queue = get_queue("outbound")
        mail_id = queue_outbound("test", "someone@example.org", subject="Test",
                                 body="Test body").id
        (job,) = queue.get_jobs()
        queue.remove(job)
    worker = processes.start_flask("worker", "--name", "outbound-victim")
    try:
        wait_until(lambda: _waiting_for_a_job(app), timeout=30,
                   message="the worker to wait for a job")
        worker.send_signal(signal.SIGSTOP)
        with app.app_context():
            queue.push_job_id(job.id)
        wait_until(lambda: not queue.get_job_ids(), timeout=10,
                   message="Redis to hand the job to the stopped worker")
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
    finally:
        processes.stop(worker)

    def sweep_and_drain():
        with app.app_context():
            scheduler.tick()
        drain_queues(app)
        with app.app_context():
            return db.session.get(OutboundMail, mail_id).state == "sent"
    wait_until(sweep_and_drain, timeout=TICK + 10, interval=TICK,
               message="the mail to be sent after its worker died")
    assert [message.to for message in smtp.messages] == ["someone@example.org"]
