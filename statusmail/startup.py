"""Start-up for the processes the Procfile runs: a configuration error is a message, not
a traceback.

A bad ``STATUSMAIL_SMTP_URL``, missing production secrets or a short ``SECRET_KEY`` raise
``ConfigError`` with a message that says what to fix; web (gunicorn), worker, scheduler
and every ``flask --app wsgi`` command print that message alone on stderr and exit with
``CONFIG_ERROR_EXIT``. That code is gunicorn's "app failed to load": should a gunicorn
worker meet the error, the arbiter stops instead of respawning it in a loop.
"""
import sys

from .config import ConfigError, default_instance_path, load_config
from .embedded_redis import RedisUnavailable

CONFIG_ERROR_EXIT = 4
STARTUP_ERRORS = (ConfigError, RedisUnavailable)


def _exit_with(exc):
    print(f"statusmail: configuration error: {exc}", file=sys.stderr, flush=True)
    raise SystemExit(CONFIG_ERROR_EXIT)


def check_configuration_or_exit():
    """Read the settings as the app will (for gunicorn's master, before it binds)."""
    try:
        load_config(default_instance_path())
    except ConfigError as exc:
        _exit_with(exc)


def create_app_or_exit():
    from . import create_app
    try:
        return create_app()
    except STARTUP_ERRORS as exc:
        _exit_with(exc)
