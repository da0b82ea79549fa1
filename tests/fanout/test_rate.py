"""The provider's limits hold across workers; a spent day waits, it does not fail."""
import threading
import time as time_module
from datetime import datetime, time, timedelta

from rq import Worker
from rq.registry import FinishedJobRegistry

from statusmail.extensions import db
from statusmail.fanout.rate import SendRate
from statusmail.models import Delivery, SiteSettings, utcnow
from statusmail.queues import get_queue, redis_connection
from tests.support.processes import wait_until

from .helpers import (
    add_subscribers, delivery_states, enable_notifications, notification_state, publish_incident,
    recipients,
)

PER_SECOND = 4


def test_rate_per_second_holds_across_two_workers(make_app, hooked_smtp, worker_processes):
    app = make_app(FANOUT_BATCH_SIZE=3)
    enable_notifications(app, rate_per_second=PER_SECOND)
    emails = add_subscribers(app, 14)
    workers = [worker_processes(), worker_processes()]

    def workers_idle():
        with app.app_context():
            idle = [w for w in Worker.all(connection=redis_connection()) if w.get_state() == "idle"]
        return len(idle) == len(workers)
    wait_until(workers_idle, timeout=30, message="two idle workers")
    notification = publish_incident(app)

    wait_until(lambda: len(hooked_smtp.messages) == len(emails), timeout=30,
               message="every message")
    assert recipients(hooked_smtp) == sorted(emails)
    times = sorted(hooked_smtp.accepted_at)
    # Unlimited, all 14 arrive within a fraction of a second; at 4/s the grants span at
    # least 3 s. A second of slack for the way from limiter to server on a busy machine;
    # test_grants_never_exceed_the_limit_in_any_second checks the grants exactly.
    assert times[-1] - times[0] >= (len(emails) - 1) // PER_SECOND - 1
    wait_until(lambda: notification_state(app, notification) == "completed", timeout=10,
               message="completion")
    with app.app_context():
        queue = get_queue("fanout")
        registry = FinishedJobRegistry(queue.name, connection=queue.connection)
        names = {queue.fetch_job(job_id).worker_name for job_id in registry.get_job_ids()}
    assert len(names) == len(workers), "both workers shared the work"


def test_grants_never_exceed_the_limit_in_any_second(app):
    """Two workers' limiters against one Redis; grant times read from Redis's own log,
    so the check is exact whatever the machine's load."""
    enable_notifications(app, rate_per_second=PER_SECOND)
    grants = {}
    lock = threading.Lock()

    def worker(sends):
        with app.app_context():
            rate = SendRate(SiteSettings.get())
            db.session.remove()
            log = redis_connection()
            for _ in range(sends):
                verdict = rate.acquire()
                while not verdict.allowed:
                    assert not verdict.day_spent
                    time_module.sleep(verdict.wait_seconds)  # as the batch does
                    verdict = rate.acquire()
                # Our grant stays in the log for a second: read it (and the others) now.
                with lock:
                    grants.update(log.zrange(rate.keys[0], 0, -1, withscores=True))

    threads = [threading.Thread(target=worker, args=(6,)) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads)
    times = sorted(score / 1_000_000 for score in grants.values())
    assert len(times) == 12
    assert all(later - earlier >= 1.0 for earlier, later in zip(times, times[PER_SECOND:]))


def test_a_spent_daily_budget_waits_for_the_next_utc_day(app, smtp, run_jobs):
    enable_notifications(app, rate_per_day=3)
    add_subscribers(app, 5)
    notification = publish_incident(app)
    run_jobs()
    assert len(smtp.messages) == 3
    assert delivery_states(app, notification) == {"sent": 3, "queued": 2}
    assert notification_state(app, notification) == "sending"
    tomorrow = datetime.combine(utcnow().date() + timedelta(days=1), time())
    with app.app_context():
        waiting = Delivery.query.filter_by(state="queued").all()
        assert {row.next_attempt_at for row in waiting} == {tomorrow}
        assert {row.attempts for row in waiting} == {0}, "waiting is not an attempt"

    # A second notice the same day waits too, without sending or failing anything.
    later = publish_incident(app, title="Second")
    run_jobs()
    assert len(smtp.messages) == 3
    assert delivery_states(app, later) == {"queued": 5}
