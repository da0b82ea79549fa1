"""Where in a batch's life a stopped worker is: read from Redis, the database and the sink.

``recovery_time.py`` stops a worker (SIGSTOP) at random moments and asks :func:`phase`
where it stands before deciding to kill it there. With the worker frozen, what it has
written (RQ's records, its deliveries' states, the messages the sink
accepted from it) tells the phase exactly; nothing is instrumented in the worker.
"""
import re
import signal
import time

PHASES = {
    "taken, not started": "took a batch job off the queue (BLPOP), RQ has not started it",
    "started, before claim commit": "RQ started the batch; its claim is not committed",
    "claimed, before first message": "claim committed, nothing sent yet",
    "sending": "between messages of the batch",
    "after DATA, before commit": "the sink accepted a message whose 'sent' is not committed",
    "finishing": "every delivery of the batch recorded, the job not yet done",
    "expanding": "running the expansion job (audience → deliveries)",
    "idle": "waiting for a job",
}
TARGETS = ["taken, not started", "started, before claim commit", "after DATA, before commit",
           "claimed, before first message", "sending", "finishing"]
_DELIVERY = re.compile(r"^<n(\d+)\.d(\d+)\.")


class AcceptedIndex:
    """(notification id, delivery id) of every message the sink accepted, kept current."""

    def __init__(self, sink):
        self.sink, self.seen, self.keys, self.per_notice = sink, 0, set(), {}

    def update(self):
        with self.sink.lock:
            fresh = self.sink.accepted[self.seen:]
            self.seen += len(fresh)
        for message in fresh:
            found = _DELIVERY.match(message.message_id)
            if found:
                key = (int(found.group(1)), int(found.group(2)))
                if key not in self.keys:
                    self.keys.add(key)
                    self.per_notice[key[0]] = self.per_notice.get(key[0], 0) + 1
        return self.keys

    def count(self, notification_id):
        """Distinct deliveries of the notice accepted so far."""
        self.update()
        return self.per_notice.get(notification_id, 0)


def _taken_not_started(connection, queue_key):
    """Batch jobs that are "queued" yet in no queue (statusmail.fanout.dequeued's view)."""
    from statusmail.fanout.dequeued import TRACKED
    listed = [job_id.decode() for job_id in connection.smembers(TRACKED)]
    if not listed:
        return set()
    with connection.pipeline(transaction=False) as pipe:
        for job_id in listed:
            pipe.hget(f"rq:job:{job_id}", "status")
        statuses = pipe.execute()
    queued = {job_id for job_id, status in zip(listed, statuses) if status == b"queued"}
    if not queued:
        return set()
    return queued - {job_id.decode() for job_id in connection.lrange(queue_key, 0, -1)}


def phase(app, worker_name, accepted):
    """The stopped worker's phase (a key of PHASES) and the job it holds, if any."""
    from rq import Worker
    from rq.job import Job
    from sqlalchemy import func, select

    from statusmail.extensions import db
    from statusmail.models import Delivery
    from statusmail.queues import get_queue, redis_connection
    with app.app_context():
        connection = redis_connection()
        worker = Worker.find_by_key(f"rq:worker:{worker_name}", connection=connection)
        job_id = worker.get_current_job_id() if worker is not None else None
        if job_id is None:
            queue_key = get_queue("fanout").key
            taken = _taken_not_started(connection, queue_key)
            if taken:
                time.sleep(0.03)  # a live worker starts its job within milliseconds
                still = taken & _taken_not_started(connection, queue_key)
                if still:
                    return "taken, not started", sorted(still)[0]
            return "idle", None
        job = Job.fetch(job_id, connection=connection)
        if job.func_name.endswith(".expand_audience"):
            return "expanding", job_id
        notification_id, delivery_ids = job.args
        states = dict(db.session.execute(
            select(Delivery.state, func.count()).where(Delivery.id.in_(delivery_ids))
            .group_by(Delivery.state)).all())
        sending = db.session.scalars(select(Delivery.id).where(
            Delivery.id.in_(delivery_ids), Delivery.state == "sending")).all()
        db.session.rollback()
    if not sending:
        if states.get("queued") == len(delivery_ids) or not states:
            return "started, before claim commit", job_id
        return "finishing", job_id
    keys = accepted.update()
    if any((notification_id, delivery_id) in keys for delivery_id in sending):
        return "after DATA, before commit", job_id
    recorded = states.get("sent", 0) + states.get("failed", 0)
    if not recorded and not any((notification_id, delivery_id) in keys
                                for delivery_id in delivery_ids):
        return "claimed, before first message", job_id
    return "sending", job_id


def stop_in_phase(rig, target, rng, accepted, attempts=3000):
    """SIGSTOP workers at random moments until one is in ``target``; ``(name, phase,
    job id, stopped at)`` with that worker still stopped, or None if the notice ended."""
    for _ in range(attempts):
        name = rng.choice(sorted(rig.workers))
        process = rig.workers[name]
        process.send_signal(signal.SIGSTOP)
        stopped_at = time.monotonic()
        found, job_id = phase(rig.app, name, accepted)
        if found == target:
            return name, found, job_id, stopped_at
        process.send_signal(signal.SIGCONT)
        time.sleep(rng.uniform(0, 0.01))
    return None


def held_by(app, job_id):
    """Deliveries of the dead worker's job not yet recorded (what must be offered again),
    and when the lease of those it had claimed runs out (naive UTC, or None)."""
    if job_id is None:
        return [], None
    from rq.job import Job
    from sqlalchemy import func, select

    from statusmail.extensions import db
    from statusmail.models import Delivery
    from statusmail.queues import redis_connection
    with app.app_context():
        _, delivery_ids = Job.fetch(job_id, connection=redis_connection()).args
        held = db.session.scalars(select(Delivery.id).where(
            Delivery.id.in_(delivery_ids), Delivery.state.in_(("queued", "sending")))).all()
        lease = db.session.scalar(select(func.max(Delivery.lease_expires_at))
                                  .where(Delivery.id.in_(delivery_ids)))
        db.session.remove()
    return held, lease


def last_accepted(sink, notification_id, delivery_ids, other=False):
    """Monotonic time the sink last accepted a message for ``delivery_ids`` (or, with
    ``other``, for any other delivery of the notice)."""
    wanted, times = set(delivery_ids), []
    for message in sink.snapshot():
        if message.message_id.startswith(f"<n{notification_id}.d"):
            delivery_id = int(message.message_id.split(".d", 1)[1].split(".", 1)[0])
            if (delivery_id in wanted) != other:
                times.append(message.at)
    return max(times, default=None)
