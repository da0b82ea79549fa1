"""Public pages: status page, subscribe widget, confirm, manage, unsubscribe. No login."""
from flask import Blueprint

bp = Blueprint("public", __name__)

from . import not_me, status_page, subscriptions  # noqa: E402,F401  (route registration)
