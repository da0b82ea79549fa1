"""The settings row, loaded once per request.

``SiteSettings.get()`` finds the row through the session's identity map, which holds
objects weakly: a template filter that reads the time zone and lets go of the row loads
it again on its next call (about a hundred identical queries on a long page). Keeping a
reference in ``flask.g`` for the request keeps it in the identity map, so every later
``SiteSettings.get()`` in the request is free; a commit still expires it, and the next
read after a save sees the saved values.
"""
from flask import g, has_request_context
from sqlalchemy import inspect


def current_settings():
    from ..models import SiteSettings
    if not has_request_context():
        return SiteSettings.get()  # a job or the CLI: its session ends with it
    settings = g.get("_site_settings")
    if settings is None or inspect(settings).detached:
        settings = g._site_settings = SiteSettings.get()
    return settings
