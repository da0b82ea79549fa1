"""Absolute links for mail, built from STATUSMAIL_BASE_URL (jobs have no request)."""
from urllib.parse import urlsplit

from flask import current_app


def external_url(endpoint, **values):
    base = urlsplit(current_app.config["STATUSMAIL_BASE_URL"])
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path or "/",
                                       url_scheme=base.scheme or "https")
    return adapter.build(endpoint, values, force_external=True)
