"""The world a fault trial runs in: real worker and scheduler processes around one app,
a counting SMTP sink, and the arithmetic that turns what the sink saw into a verdict.

Every process started here is stopped here; every wait polls with a bound.
"""
import collections
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass

from rq import Worker
from rq.exceptions import NoSuchJobError
from sqlalchemy import select

from statusmail.extensions import db
from statusmail.models import Notification, Subscriber
from statusmail.queues import redis_connection
from tests.support import processes

_DELIVERY = re.compile(r"^<n(\d+)\.d(\d+)\.")


@dataclass
class Settings:
    """Sizes of one run; the CI variant's defaults, the long variant sets the environment."""
    subscribers: int
    batch_size: int
    lease: int
    tick: int
    outage: int
    trials: int
    kill_trials: int

    @classmethod
    def from_environment(cls):
        def number(name, default):
            return int(os.environ.get(f"STATUSMAIL_RELIABILITY_{name}", default))
        return cls(subscribers=number("SUBSCRIBERS", 200), batch_size=number("BATCH_SIZE", 50),
                   lease=number("LEASE", 2), tick=number("TICK", 1),
                   outage=number("OUTAGE", 3), trials=number("TRIALS", 1),
                   kill_trials=number("KILL_TRIALS", 2))

    def app_config(self):
        return {"DELIVERY_LEASE_SECONDS": self.lease, "FANOUT_BATCH_SIZE": self.batch_size,
                "FANOUT_RETRY_BASE_SECONDS": 1}

    def process_environment(self):
        return {"STATUSMAIL_DELIVERY_LEASE_SECONDS": str(self.lease),
                "STATUSMAIL_FANOUT_BATCH_SIZE": str(self.batch_size),
                "STATUSMAIL_FANOUT_RETRY_BASE_SECONDS": "1",
                "STATUSMAIL_SCHEDULER_INTERVAL": str(self.tick)}


@dataclass
class Outcome:
    fault: str
    database: str
    subscribers: int
    notices: int
    lost: int
    duplicates: int
    allowed_duplicates: int
    duplicates_keep_message_id: bool
    recovery_seconds: float

    def problems(self):
        found = []
        if self.lost:
            found.append(f"{self.lost} lost")
        if self.duplicates > self.allowed_duplicates:
            found.append(f"{self.duplicates} duplicates, at most {self.allowed_duplicates} allowed")
        if not self.duplicates_keep_message_id:
            found.append("a duplicate carried a new Message-ID")
        return found

    def as_dict(self):
        return asdict(self)


class Rig:
    def __init__(self, app, sink, settings):
        self.app, self.sink, self.settings = app, sink, settings
        self.workers, self.schedulers = {}, []
        self._numbers = iter(range(1, 10_000))
        self.log_dir = tempfile.mkdtemp(prefix="statusmail-trial-logs-")

    # processes ---------------------------------------------------------------------------
    def _flask(self, *args):
        """Like ``processes.start_flask``, logging to a file: a pipe nobody reads fills
        up and blocks a busy worker."""
        log_path = os.path.join(self.log_dir, f"{args[0]}-{next(self._numbers)}.log")
        with open(log_path, "wb") as log:
            return subprocess.Popen(
                [sys.executable, "-m", "flask", "--app", "wsgi", *args],
                cwd=processes.PROJECT_ROOT, stdout=log, stderr=subprocess.STDOUT,
                env={**os.environ, **self.settings.process_environment()})

    def start_worker(self):
        name = f"trial-worker-{next(self._numbers)}"
        self.workers[name] = self._flask("worker", "--name", name, "--ttl", "16")
        return name

    def start_scheduler(self):
        self.schedulers.append(self._flask("scheduler"))

    def kill_worker(self, name):
        process = self.workers.pop(name)
        process.send_signal(signal.SIGKILL)
        process.wait(10)
        processes.stop(process)

    def stop(self):
        for process in [*self.workers.values(), *self.schedulers]:
            processes.stop(process)
        self.workers, self.schedulers = {}, []

    def current_batch(self, name):
        """``(notification id, delivery ids)`` the named worker is running, or None."""
        with self.app.app_context():
            worker = Worker.find_by_key(f"rq:worker:{name}", connection=redis_connection())
            try:
                job = worker.get_current_job() if worker is not None else None
            except NoSuchJobError:  # it finished, and its record went, while we looked
                return None
            return tuple(job.args) if job is not None else None

    # waiting -----------------------------------------------------------------------------
    def wait_for_messages(self, count, timeout):
        processes.wait_until(lambda: self.sink.count() >= count, timeout=timeout, interval=0.005,
                             message=f"{count} messages at the sink")

    def wait_completed(self, notification_ids, timeout):
        def completed():
            with self.app.app_context():
                states = db.session.scalars(select(Notification.state).where(
                    Notification.id.in_(notification_ids))).all()
                db.session.remove()
            return len(states) == len(notification_ids) and set(states) == {"completed"}
        processes.wait_until(completed, timeout=timeout, interval=0.1,
                             message=f"notices {notification_ids} to complete")
        return time.monotonic()

    def completion_budget(self, notices=1):
        """Generous: sending at a slow 50 msg/s, plus recovery and retries."""
        settings = self.settings
        return (notices * settings.subscribers / 50 + 3 * (settings.lease + settings.tick)
                + 2 * settings.outage + 60)

    # counting ----------------------------------------------------------------------------
    def outcome(self, fault, notification_ids, allowed_duplicates, recovery_seconds):
        with self.app.app_context():
            emails = db.session.scalars(select(Subscriber.email)).all()
            database = db.engine.dialect.name
        copies = collections.defaultdict(list)
        for message in self.sink.snapshot():
            found = _DELIVERY.match(message.message_id)
            if found and int(found.group(1)) in notification_ids:
                copies[(int(found.group(1)), message.to)].append(message.message_id)
        expected = {(nid, email) for nid in notification_ids for email in emails}
        lost = len(expected - set(copies))
        duplicates = sum(len(ids) - 1 for ids in copies.values())
        same_id = all(len(set(ids)) == 1 for ids in copies.values())
        return Outcome(fault=fault, database=database, subscribers=len(emails),
                       notices=len(notification_ids), lost=lost, duplicates=duplicates,
                       allowed_duplicates=allowed_duplicates,
                       duplicates_keep_message_id=same_id,
                       recovery_seconds=round(recovery_seconds, 2))
