"""Access to the Redis connection and RQ queues that ``create_app`` made."""
from datetime import datetime, timedelta, timezone

from flask import current_app
from rq import Worker

HEARTBEAT_FRESH = timedelta(seconds=90)


def redis_connection():
    return current_app.extensions["redis"]


def get_queue(name):
    return current_app.extensions["queues"][name]


def worker_heartbeats():
    """(name, last heartbeat as naive UTC, alive) for every registered RQ worker."""
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    rows = []
    for worker in Worker.all(connection=redis_connection()):
        beat = worker.last_heartbeat
        if beat is not None and beat.tzinfo is not None:
            beat = beat.astimezone(timezone.utc).replace(tzinfo=None)
        rows.append((worker.name, beat, beat is not None and now - beat < HEARTBEAT_FRESH))
    return rows


def any_worker_alive():
    return any(alive for _, _, alive in worker_heartbeats())
