"""The JSON API under /api/v1, authenticated by bearer tokens (admin → API tokens)."""
from flask import Blueprint

from ..extensions import csrf

bp = Blueprint("api", __name__)
csrf.exempt(bp)  # bearer tokens, not cookies: no cross-site request can carry one

from . import maintenances, parity, subscribers, views  # noqa: E402,F401  (route registration)
