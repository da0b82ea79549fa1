"""What a dead worker held goes out before the rest of the queue, not after it.

Its deliveries have already waited a lease when the sweeper offers them again. Queued
behind the rest of a large fan-out, they would wait for all of it too (minutes at a
million subscribers): recovery would be bounded by the list, not by the lease, which is
what ``bench/recovery_time.py`` showed (a recovered batch sent after the last batch of
the notice). A real worker is SIGKILLed while the server holds its first message; the
other batches are still queued when the lease lapses.
"""
import signal
import threading

import pytest

from statusmail.fanout.sweeper import release_expired_leases
from tests.fanout.helpers import add_subscribers, enable_notifications, publish_incident
from tests.support import processes
from tests.support.processes import wait_until
from tests.support.web import drain_queues, use_smtp

from .sink import CountingSink

LEASE = 2
BATCH = 2


@pytest.fixture
def app(make_app):
    return make_app(DELIVERY_LEASE_SECONDS=LEASE, FANOUT_BATCH_SIZE=BATCH)


class HoldFirst:
    """Holds the first DATA until released, then refuses it (the message never lands)."""

    def __init__(self):
        self.reached, self.released = threading.Event(), threading.Event()

    def __call__(self, number):
        if number != 1:
            return None
        self.reached.set()
        self.released.wait(30)
        return "451 4.3.0 Try again later"


def test_a_dead_workers_batch_is_sent_before_the_batches_still_queued(app):
    sink = CountingSink().start()
    hold = HoldFirst()
    sink.fault = hold
    try:
        use_smtp(app, sink)
        enable_notifications(app)
        emails = add_subscribers(app, 4 * BATCH)
        publish_incident(app)  # expanded here: four batch jobs wait in the queue
        worker = processes.start_flask("worker", env={
            "STATUSMAIL_DELIVERY_LEASE_SECONDS": str(LEASE),
            "STATUSMAIL_FANOUT_BATCH_SIZE": str(BATCH)})
        try:
            assert hold.reached.wait(30), "the worker never sent its first message"
            worker.send_signal(signal.SIGKILL)
            worker.wait(10)
        finally:
            hold.released.set()
            processes.stop(worker)

        def released():
            with app.app_context():
                return release_expired_leases()
        wait_until(released, timeout=LEASE * 5, interval=0.1, message="the lease to lapse")
        drain_queues(app)

        order = [message.to for message in sink.snapshot()]
        assert sorted(order) == sorted(emails), "every subscriber gets the notice once"
        assert sorted(order[:BATCH]) == sorted(emails[:BATCH]), (
            "the dead worker's batch must go before the batches still queued", order)
    finally:
        sink.fault = None
        sink.stop()
