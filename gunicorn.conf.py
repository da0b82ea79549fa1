"""How the Procfile's ``web`` process serves statusmail (gunicorn reads this file).

Threaded workers (``gthread``): a connection that is idle — a browser's keep-alive
socket, a slow client — waits in the worker's poller, not in a thread, so it cannot hold
the server the way it held the synchronous workers (two idle sockets delayed every
request by 30 s). The worker's main loop reports to the arbiter whatever its threads are
doing, so ``timeout`` only restarts a worker that is stuck as a whole; it does not cut a
long response (a CSV export) that is still streaming. See README, "Serving".
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from statusmail.startup import check_configuration_or_exit  # noqa: E402


def _int(name, default):
    raw = os.environ.get(name) or default
    try:
        return int(raw)
    except ValueError:
        sys.exit(f"statusmail: configuration error: {name} must be a whole number, not {raw!r}.")


# A configuration error stops the server here with its message, before it binds the port.
check_configuration_or_exit()

bind = f"{os.environ.get('BIND') or '127.0.0.1'}:{os.environ.get('PORT') or '5000'}"
worker_class = "gthread"
workers = _int("WEB_CONCURRENCY", 2)
threads = _int("WEB_THREADS", 8)
# Seconds an idle keep-alive (or not yet speaking) connection is kept open in the poller.
keepalive = _int("WEB_KEEPALIVE", 5)
timeout = _int("WEB_TIMEOUT", 60)
graceful_timeout = 30
accesslog = "-"
logger_class = "statusmail.gunicorn_logging.RedactingLogger"
# A new connection waits in a thread for its first bytes before it is parked in the poller:
# 5 s in gunicorn 27. More silent connections than threads (a browser's preconnects) then
# delay the next request by those 5 s (bench/idle_connections.py measured it). Parking them
# sooner costs a connection that is merely slow one trip through the poller.
FIRST_BYTES_WAIT = float(os.environ.get("WEB_FIRST_BYTES_WAIT") or 0.2)


def post_fork(server, worker):
    from gunicorn.workers import gthread
    if hasattr(gthread, "DEFAULT_WORKER_DATA_TIMEOUT"):
        gthread.DEFAULT_WORKER_DATA_TIMEOUT = FIRST_BYTES_WAIT
    else:
        server.log.warning("gunicorn no longer has DEFAULT_WORKER_DATA_TIMEOUT; "
                           "WEB_FIRST_BYTES_WAIT has no effect (see gunicorn.conf.py).")


# gunicorn 23+'s runtime control socket lives at one path per user (~/.gunicorn): a second
# statusmail on the machine would take it over. Nothing here uses gunicornc.
control_socket_disable = True
