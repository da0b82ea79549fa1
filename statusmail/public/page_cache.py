"""The status page and the widget, rendered once and served from memory.

On incident day everyone refreshes the status page at once, and what they all see is
the same page. A view marked :func:`cached_page` tells :class:`PageCache`, a WSGI
middleware in front of Flask, that its anonymous GET answer may be kept; the middleware
then serves the same bytes and headers without entering Flask, for at most
``STATUS_PAGE_CACHE_SECONDS`` (1 s). A commit in this process that touches a component,
incident, update, maintenance window or the settings drops every copy at once (the
session listeners below); a change saved by another process (another web worker, the
scheduler starting a window, a bulk UPDATE) shows within the second.

No shared store is asked per request: a Redis round trip cost more than the whole
answer from memory, and the page would then depend on Redis being up.

Requests with the session cookie (operators, anyone with a flash message waiting) and
answers that set a cookie are never kept: they may be one person's alone.
"""
import functools
import itertools
import threading
import time

from flask import current_app, make_response
from sqlalchemy import event
from sqlalchemy.orm import Session

MARKER = "X-Statusmail-Cacheable"
# Query strings and Host headers are the client's to vary: a bound, so that random ones
# cannot fill the memory (past it the store starts again, empty).
MAX_ENTRIES = 256
_STATUS_TABLES = frozenset({"components", "incidents", "incident_updates", "incident_components",
                            "maintenances", "maintenance_components", "site_settings"})
_generations = itertools.count(1)
_generation = 0  # moves on each commit in this process that changed what the pages show


def cached_page(view):
    """Mark an anonymous GET view's answer as the same for everyone, for a second."""
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        response = make_response(view(*args, **kwargs))
        seconds = current_app.config.get("STATUS_PAGE_CACHE_SECONDS", 1)
        if seconds and response.status_code == 200:
            response.headers[MARKER] = str(seconds)
        return response
    return wrapper


class PageCache:
    """WSGI middleware: {(host, scheme, path, query): (generation, expires, status, headers, body)}."""

    def __init__(self, wsgi_app, session_cookie_name):
        self.wsgi_app = wsgi_app
        self.cookie_prefix = session_cookie_name + "="
        self.entries = {}
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        method = environ.get("REQUEST_METHOD")
        if method not in ("GET", "HEAD") or self._has_session(environ):
            return self.wsgi_app(environ, start_response)
        key = (environ.get("HTTP_HOST"), environ.get("wsgi.url_scheme"),
               environ.get("PATH_INFO"), environ.get("QUERY_STRING"))
        generation, now = _generation, time.monotonic()
        entry = self.entries.get(key)
        if entry and entry[0] == generation and entry[1] > now:
            start_response(entry[2], list(entry[3]))
            return [b""] if method == "HEAD" else [entry[4]]
        return self._render_and_keep(environ, start_response, key, generation, now)

    def _has_session(self, environ):
        cookies = environ.get("HTTP_COOKIE", "")
        return any(part.strip().startswith(self.cookie_prefix) for part in cookies.split(";"))

    def _render_and_keep(self, environ, start_response, key, generation, now):
        kept = {}

        def capture(status, headers, exc_info=None):
            seconds = next((value for name, value in headers if name == MARKER), None)
            headers = [(name, value) for name, value in headers if name != MARKER]
            if seconds and not any(name.lower() == "set-cookie" for name, _ in headers):
                kept.update(status=status, headers=headers, seconds=float(seconds))
            return start_response(status, headers, exc_info)

        iterable = self.wsgi_app(environ, capture)
        if not kept or environ.get("REQUEST_METHOD") == "HEAD":
            return iterable
        try:
            body = b"".join(iterable)
        finally:
            if hasattr(iterable, "close"):
                iterable.close()
        with self.lock:
            if len(self.entries) >= MAX_ENTRIES:
                self.entries.clear()
            self.entries[key] = (generation, now + kept["seconds"], kept["status"],
                                 tuple(kept["headers"]), body)
        return [body]


def _touches_status(session):
    return any(getattr(obj, "__tablename__", None) in _STATUS_TABLES
               for obj in (*session.new, *session.dirty, *session.deleted))


@event.listens_for(Session, "before_flush")
def _note_status_change(session, flush_context, instances):
    if _touches_status(session):
        session.info["statusmail_status_changed"] = True


@event.listens_for(Session, "after_commit")
def _drop_cached_pages(session):
    global _generation
    if session.info.pop("statusmail_status_changed", False):
        _generation = next(_generations)


@event.listens_for(Session, "after_rollback")
def _forget_change(session):
    session.info.pop("statusmail_status_changed", None)
