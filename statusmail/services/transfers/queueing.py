"""Recording a transfer, running its job once, and recovering it if its worker died.

The row is the truth; Redis carries the job and a heartbeat. A job claims its row by
moving it to ``running`` and counting an attempt; the attempt number fences every later
write, so a job the sweeper gave up on (its heartbeat vanished) can never overwrite the
work of the one that replaced it.
"""
import logging
from datetime import timedelta

import redis
from flask import current_app
from sqlalchemy import update

from ...extensions import db
from ...models import SubscriberTransfer, utcnow
from ...queues import get_queue, redis_connection
from .. import audit
from ..text_validation import printable
from . import files

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 3
JOB = "statusmail.jobs.transfers.run_transfer"
JOB_TIMEOUT = 4 * 3600  # a bound for RQ; the heartbeat, not this, detects a dead worker
PROGRESS_FIELDS = ("phase", "rows_done", "rows_total", "bytes_done", "bytes_total")
QUEUED_GRACE = timedelta(seconds=60)
CLAIM_GRACE = timedelta(seconds=15)  # between a claim's commit and its first heartbeat


class TransferRefused(ValueError):
    """The request cannot start a transfer; the message says why."""


def heartbeat_key(transfer_id):
    return f"statusmail:transfer:{transfer_id}"


def _heartbeat_seconds():
    return max(30, current_app.config["DELIVERY_LEASE_SECONDS"])


def start_export(status, search, admin_id):
    transfer = SubscriberTransfer(kind="export", status_filter=status, search=search or None,
                                  created_by_id=admin_id, file_name=files.new_name(".csv"))
    _record_and_queue(transfer)
    audit.record("subscribers_exported", "Subscribers exported to CSV",
                 transfer_id=transfer.id, status=status, search=search)
    return transfer


def start_import(upload, mode, admin_id):
    """Copy the upload to our folder (in chunks) and queue its import."""
    name = files.new_name(".upload")
    size = 0
    with files.open_new(name) as out:
        while chunk := upload.stream.read(1024 * 1024):
            out.write(chunk)
            size += len(chunk)
    if not size:
        files.remove(name)
        raise TransferRefused("The file is empty: choose a file with addresses in it.")
    transfer = SubscriberTransfer(kind="import", mode=mode, created_by_id=admin_id,
                                  original_name=printable(upload.filename or "upload.csv")[:255],
                                  file_name=name, bytes_total=size, phase="reading")
    _record_and_queue(transfer)
    audit.record("subscribers_imported", f"Subscribers imported from {transfer.original_name}",
                 transfer_id=transfer.id, mode=mode, file=transfer.original_name, size=size)
    return transfer


def _record_and_queue(transfer):
    db.session.add(transfer)
    db.session.commit()
    _enqueue(transfer.id, transfer.attempts)
    return transfer


def _enqueue(transfer_id, attempts):
    try:
        get_queue("bulk").enqueue(JOB, transfer_id, job_id=f"transfer-{transfer_id}-{attempts}",
                                  job_timeout=JOB_TIMEOUT, result_ttl=3600,
                                  description=f"subscriber transfer #{transfer_id}")
    except redis.RedisError as exc:
        log.warning("Could not queue transfer #%s (%s); the sweeper will.", transfer_id, exc)


class Run:
    """The claim a job holds on its transfer: progress, heartbeat and fenced writes."""

    def __init__(self, transfer_id, attempt):
        self.transfer_id, self.attempt = transfer_id, attempt
        self.fields = {}

    def report(self, **fields):
        """Progress for the page and a heartbeat for the sweeper (Redis, not the database:
        an import's merge holds its transaction open, and on SQLite the write lock)."""
        self.fields.update(fields)
        key = heartbeat_key(self.transfer_id)
        try:
            pipe = redis_connection().pipeline()
            pipe.hset(key, mapping={"attempt": self.attempt,
                                    **{k: v for k, v in self.fields.items() if v is not None}})
            pipe.expire(key, _heartbeat_seconds())
            pipe.execute()
        except redis.RedisError as exc:
            log.warning("Transfer #%s: progress not recorded (%s).", self.transfer_id, exc)

    def finish(self, state, session_commit=True, **values):
        """Write the outcome if this attempt still owns the row; False if it does not."""
        result = db.session.execute(
            update(SubscriberTransfer)
            .where(SubscriberTransfer.id == self.transfer_id,
                   SubscriberTransfer.state == "running",
                   SubscriberTransfer.attempts == self.attempt)
            .values(state=state, finished_at=utcnow(), heartbeat_at=utcnow(),
                    **{k: v for k, v in self.fields.items() if k in PROGRESS_FIELDS},
                    **values),
            execution_options={"synchronize_session": False})
        if session_commit:
            db.session.commit()
        return result.rowcount == 1


def claim(transfer_id):
    """Take a queued transfer; a Run, or None if it is not due (done, or running).

    A transfer whose worker died is put back to ``queued`` by the sweeper, which alone
    judges a heartbeat gone.
    """
    now = utcnow()
    result = db.session.execute(
        update(SubscriberTransfer)
        .where(SubscriberTransfer.id == transfer_id, SubscriberTransfer.state == "queued")
        .values(state="running", attempts=SubscriberTransfer.attempts + 1, started_at=now,
                heartbeat_at=now)
        .returning(SubscriberTransfer.attempts),
        execution_options={"synchronize_session": False}).first()
    db.session.commit()
    if result is None:
        return None
    run = Run(transfer_id, result.attempts)
    run.report()
    return run


def run_transfer(transfer_id):
    """The job: export or import, then the outcome on the row. Safe to run twice."""
    from .export import run_export
    from .importer import ImportFileError, run_import
    run = claim(transfer_id)
    if run is None:
        return "not due or already handled"
    transfer = db.session.get(SubscriberTransfer, transfer_id)
    if run.attempt > MAX_ATTEMPTS:
        run.finish("failed", error=f"The job stopped {MAX_ATTEMPTS} times before finishing "
                   "(a worker crashed or was restarted). Start it again.")
        return "gave up"
    try:
        outcome = (run_export if transfer.kind == "export" else run_import)(transfer, run)
    except ImportFileError as exc:
        db.session.rollback()
        run.finish("failed", error=str(exc))
        return "refused: " + str(exc)
    except Exception:
        log.exception("Transfer #%s failed", transfer_id)
        db.session.rollback()
        run.finish("failed", error="The job hit an unexpected error (it is in the worker's "
                   "log); nothing was imported. Try again, or split the file.")
        raise
    finally:
        if transfer.kind == "import":
            from .importer import drop_staging
            drop_staging(transfer_id)
    return outcome


def progress(transfer):
    """What the page shows: the row, with the running job's figures from Redis."""
    figures = {name: getattr(transfer, name) for name in PROGRESS_FIELDS}
    if transfer.state == "running":
        try:
            live = redis_connection().hgetall(heartbeat_key(transfer.id))
        except redis.RedisError:
            live = {}
        for name, value in live.items():
            name = name.decode()
            if name in PROGRESS_FIELDS:
                value = value.decode()
                figures[name] = int(value) if value.isdigit() else value
    view = SubscriberTransfer(kind=transfer.kind, state=transfer.state, **figures)
    return {"state": transfer.state, "done": transfer.state in ("done", "failed"),
            "percent": view.percent, **figures}


def sweep_transfers():
    """Re-queue transfers whose job Redis lost or whose worker stopped beating; delete
    files a day after they finished."""
    now = utcnow()
    connection = redis_connection()
    requeued = 0
    for transfer in SubscriberTransfer.query.filter(
            SubscriberTransfer.state.in_(("queued", "running"))).limit(100):
        alive = connection.exists(heartbeat_key(transfer.id))
        if transfer.state == "running" and not alive and transfer.started_at < now - CLAIM_GRACE:
            db.session.execute(
                update(SubscriberTransfer)
                .where(SubscriberTransfer.id == transfer.id,
                       SubscriberTransfer.attempts == transfer.attempts,
                       SubscriberTransfer.state == "running")
                .values(state="queued"), execution_options={"synchronize_session": False})
            db.session.commit()
            _enqueue(transfer.id, f"{transfer.attempts}-r")
            requeued += 1
        elif transfer.state == "queued" and transfer.created_at < now - QUEUED_GRACE \
                and not _job_waiting(transfer, connection):
            _enqueue(transfer.id, f"{transfer.attempts}-s{int(now.timestamp())}")
            requeued += 1
    _prune(now)
    return requeued


def _job_waiting(transfer, connection):
    from rq.exceptions import NoSuchJobError
    from rq.job import Job
    try:
        job = Job.fetch(f"transfer-{transfer.id}-{transfer.attempts}", connection=connection)
    except NoSuchJobError:
        return False
    return job.get_status(refresh=False) in ("queued", "started", "deferred", "scheduled")


def _prune(now):
    old = now - timedelta(hours=files.KEEP_HOURS)
    for transfer in SubscriberTransfer.query.filter(
            SubscriberTransfer.finished_at < old,
            SubscriberTransfer.file_name.isnot(None)).limit(100):
        files.remove(transfer.file_name)
        transfer.file_name = None
    db.session.commit()
