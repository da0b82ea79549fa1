"""The scheduler process: a periodic tick that keeps work moving without anyone clicking.

Several scheduler processes may run; a Redis lock lets one tick at a time.
"""
import logging
import time

import redis
from rq.exceptions import NoSuchJobError
from rq import Queue
from rq.job import Job, JobStatus

from ..extensions import db
from ..fanout.sweeper import FANOUT_TASKS
from ..models import OutboundMail
from ..i18n import forget_locale
from ..queues import redis_connection
from .maintenance import advance_maintenance
from .outbox import due_outbound, enqueue_outbound, outbound_job_id
from .retention import prune_expired_rows_hourly
from .transfers import sweep_transfers

log = logging.getLogger(__name__)
LOCK_NAME = "statusmail:scheduler-lock"
PENDING_JOB_STATES = ("queued", "started", "deferred", "scheduled")


def sweep_outbound():
    """Queue one-off mail that is due, or whose worker died, or whose job Redis lost."""
    connection = redis_connection()
    queued = 0
    for row in due_outbound().order_by(OutboundMail.id).limit(1000):
        if row.state == "queued" and _job_pending(outbound_job_id(row), connection):
            continue
        # A dead worker's job id is taken; the stranded row gets a fresh one.
        enqueue_outbound(row, retry=row.state == "sending")
        queued += 1
    return queued


def _job_pending(job_id, connection):
    """The job will still run. A job marked "queued" must also be in its queue: a worker
    takes it with BLPOP and marks it started only afterwards, so one killed in between
    leaves it "queued" in no queue, for ever. Queuing the mail again then is harmless
    even if that worker was merely slow: a job claims its mail in the database."""
    try:
        job = Job.fetch(job_id, connection=connection)
    except NoSuchJobError:
        return False
    status = job.get_status(refresh=False)
    if status == JobStatus.QUEUED:
        return connection.lpos(Queue(job.origin, connection=connection).key, job_id) is not None
    return status in PENDING_JOB_STATES


TASKS = [sweep_outbound, prune_expired_rows_hourly, advance_maintenance, sweep_transfers,
         *FANOUT_TASKS]


# Tasks that act on the clock take the tick's "now", so a test (or a replay) can drive
# them at a given time; the rest keep their own sense of time.
CLOCKED_TASKS = (advance_maintenance,)


def tick(now=None):
    """Run every task once; one failing task does not stop the others."""
    for task in TASKS:
        try:
            if task in CLOCKED_TASKS:
                task(now)
            else:
                task()
        except Exception:
            log.exception("Scheduler task %s failed", task.__name__)
            db.session.rollback()
        finally:
            db.session.remove()
            forget_locale()


def run_forever(interval):
    log.info("Scheduler running every %s s", interval)
    while True:
        try:
            lock = redis_connection().lock(LOCK_NAME, timeout=max(interval * 6, 60),
                                           blocking_timeout=0)
            if lock.acquire():
                try:
                    tick()
                finally:
                    try:
                        lock.release()
                    except redis.exceptions.LockError:
                        pass
        except redis.ConnectionError as exc:
            log.warning("Redis unavailable (%s); scheduler retrying.", exc)
        time.sleep(interval)
