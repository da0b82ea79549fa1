"""The status page and the widget, rendered once and served from memory.

On incident day everyone refreshes the status page at once, and what they all see is
the same page. Each web process keeps the rendered HTML of these anonymous GET pages
for at most ``STATUS_PAGE_CACHE_SECONDS`` (1 s) and drops it as soon as the *status
version* in Redis moves: every commit that touches a component, incident, update,
maintenance window or the settings bumps it (the session listeners below), so a
saved change shows on the next request in every process; changes written without the
ORM (bulk updates) show within the second.

Visitors with a session cookie (operators, anyone with a flash message waiting) always
get a fresh page: what they see may be theirs alone.
"""
import functools
import logging
import threading
import time

import redis
from flask import current_app, request
from sqlalchemy import event
from sqlalchemy.orm import Session


log = logging.getLogger(__name__)
VERSION_KEY = "statusmail:status-version"
_STATUS_TABLES = frozenset({"components", "incidents", "incident_updates", "incident_components",
                            "maintenances", "maintenance_components", "site_settings"})


class _Store:
    """Per app and process: {key: (version, expires_at, body)}; threads share it."""

    def __init__(self):
        self.entries = {}
        self.lock = threading.Lock()


def _store():
    return current_app.extensions.setdefault("statusmail_page_cache", _Store())


def _status_version():
    try:
        return current_app.extensions["redis"].get(VERSION_KEY) or b"0"
    except redis.RedisError:
        return None  # no shared version: rely on the short lifetime alone


def cached_page(view):
    """Decorator for an anonymous GET view returning HTML."""
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        seconds = current_app.config.get("STATUS_PAGE_CACHE_SECONDS", 1)
        if (request.method != "GET" or not seconds
                or current_app.config["SESSION_COOKIE_NAME"] in request.cookies):
            return view(*args, **kwargs)
        key = (request.endpoint, request.full_path)
        version = _status_version()
        now = time.monotonic()
        store = _store()
        entry = store.entries.get(key)
        if entry and entry[0] == version and entry[1] > now and version is not None:
            return entry[2]
        body = view(*args, **kwargs)
        if isinstance(body, str):
            with store.lock:
                store.entries[key] = (version, now + seconds, body)
        return body
    return wrapper


def _touches_status(session):
    for obj in (*session.new, *session.dirty, *session.deleted):
        table = getattr(obj, "__tablename__", None)
        if table in _STATUS_TABLES:
            return True
    return False


@event.listens_for(Session, "before_flush")
def _note_status_change(session, flush_context, instances):
    if _touches_status(session):
        session.info["statusmail_status_changed"] = True


@event.listens_for(Session, "after_commit")
def _bump_version(session):
    """After every commit that changed what the page shows: a new status version."""
    if not session.info.pop("statusmail_status_changed", False):
        return
    try:
        connection = current_app.extensions["redis"]
    except (RuntimeError, KeyError):
        return  # outside an app: nothing is cached there
    try:
        connection.incr(VERSION_KEY)
    except redis.RedisError as exc:
        log.warning("Could not bump the status page version (%s); pages refresh "
                    "within a second anyway.", exc)


@event.listens_for(Session, "after_rollback")
def _forget_change(session):
    session.info.pop("statusmail_status_changed", None)
