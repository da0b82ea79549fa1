"""Finding a batch job its worker took off the queue and died with before starting it.

A worker of several queues takes a job with BLPOP and only a few milliseconds later
puts it in RQ's StartedJobRegistry. A worker killed in between leaves the job in no
queue and no registry, its status still "queued": RQ never runs it, and the liveness
check (:mod:`.liveness`), which reads the registry, never sees it.

So every batch job is also listed in a Redis set, written in the same MULTI/EXEC that
queues it and left when the job finishes. The sweeper looks for listed jobs that are
"queued" yet in no queue; a live worker moves such a job into the registry within
milliseconds, so one still missing ``GRACE_SECONDS`` after it was first seen missing is
lost: its unclaimed deliveries are queued again and the job is deleted. Should a
stalled worker run it after all, it claims nothing that another job holds.
"""
import logging
import time

from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus

from ..queues import get_queue, redis_connection

log = logging.getLogger(__name__)
TRACKED = "statusmail:fanout:batch-jobs"
MISSING_SINCE = "statusmail:fanout:batch-jobs:missing-since"
GRACE_SECONDS = 2.0


def track(pipeline, job_ids):
    """List ``job_ids`` (in the pipeline that queues them)."""
    if job_ids:
        pipeline.sadd(TRACKED, *job_ids)


def untrack(pipeline, job_id):
    pipeline.srem(TRACKED, job_id)
    pipeline.hdel(MISSING_SINCE, job_id)


def _statuses(connection, job_ids):
    with connection.pipeline(transaction=False) as pipe:
        for job_id in job_ids:
            pipe.hget(Job.key_for(job_id), "status")
        return dict(zip(job_ids, pipe.execute()))


def _missing(connection, job_ids):
    """Of the listed jobs: ``(dropped, untracked)`` — the "queued" ones in no queue, and
    those to stop listing (gone from Redis, or finished)."""
    statuses = _statuses(connection, job_ids)
    untracked = [job_id for job_id, status in statuses.items()
                 if status is None or status.decode() in (JobStatus.FINISHED, JobStatus.FAILED,
                                                          JobStatus.STOPPED, JobStatus.CANCELED)]
    queued = {job_id for job_id, status in statuses.items()
              if status is not None and status.decode() == JobStatus.QUEUED}
    if not queued:
        return [], untracked
    waiting = {job_id.decode() for job_id in
               connection.lrange(get_queue("fanout").key, 0, -1)}
    return sorted(queued - waiting), untracked


def find_dropped_jobs(now=None):
    """Jobs missing for longer than the grace; notes when the others went missing."""
    connection = redis_connection()
    now = time.time() if now is None else now
    listed = sorted(job_id.decode() for job_id in connection.smembers(TRACKED))
    if not listed:
        return []
    missing, untracked = _missing(connection, listed)
    since = {job_id.decode(): float(value)
             for job_id, value in connection.hgetall(MISSING_SINCE).items()}
    with connection.pipeline(transaction=False) as pipe:
        for job_id in untracked:
            untrack(pipe, job_id)
        found_again = [job_id for job_id in since if job_id not in missing]
        if found_again:
            pipe.hdel(MISSING_SINCE, *found_again)
        newly = {job_id: now for job_id in missing if job_id not in since}
        if newly:
            pipe.hset(MISSING_SINCE, mapping=newly)
        pipe.execute()
    return [job_id for job_id in missing
            if job_id in since and now - since[job_id] >= GRACE_SECONDS]


def forget(job_id):
    """Stop listing the job and delete it (its work was queued again)."""
    connection = redis_connection()
    with connection.pipeline(transaction=False) as pipe:
        untrack(pipe, job_id)
        pipe.execute()
    try:
        Job.fetch(job_id, connection=connection).delete()
    except NoSuchJobError:
        pass


def fetch_args(job_id):
    """``(notification id, delivery ids)`` of a listed job, or None if it vanished."""
    try:
        return tuple(Job.fetch(job_id, connection=redis_connection()).args)
    except NoSuchJobError:
        return None
