"""Webhooks: requests from mail providers, authenticated by their own signatures.

No session, no CSRF token (a provider has neither): each request proves itself with a
signature checked against a key the owner saved, and is size-capped and rate limited.
"""
from flask import Blueprint

bp = Blueprint("webhooks", __name__)

from . import sendgrid  # noqa: E402,F401  (route registration)
