"""Is this install able to deliver? Database, Redis and a worker with a fresh heartbeat.

Each check is cheap and bounded (one query, one PING, one read of RQ's worker set), so a
load balancer may poll it every few seconds whatever the size of the lists.
"""
import logging

import redis
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from ..extensions import db
from ..queues import redis_connection, worker_heartbeats

log = logging.getLogger(__name__)


def _database():
    try:
        db.session.execute(text("SELECT 1"))
        return {"ok": True}
    except SQLAlchemyError as exc:
        db.session.rollback()
        log.warning("Health check: database unreachable: %s", exc.__class__.__name__)
        return {"ok": False, "error": "database unreachable"}


def _redis():
    try:
        redis_connection().ping()
        return {"ok": True}
    except redis.RedisError as exc:
        log.warning("Health check: Redis unreachable: %s", exc.__class__.__name__)
        return {"ok": False, "error": "redis unreachable"}


def _workers(redis_ok):
    if not redis_ok:
        return {"ok": False, "alive": 0, "error": "unknown while Redis is unreachable"}
    try:
        alive = sum(1 for _, _, fresh in worker_heartbeats() if fresh)
    except redis.RedisError:
        return {"ok": False, "alive": 0, "error": "redis unreachable"}
    if not alive:
        return {"ok": False, "alive": 0, "error": "no worker has sent a heartbeat recently"}
    return {"ok": True, "alive": alive}


def health_report():
    """``(healthy, checks)``: healthy only when every check passed."""
    checks = {"database": _database(), "redis": _redis()}
    checks["workers"] = _workers(checks["redis"]["ok"])
    return all(check["ok"] for check in checks.values()), checks
