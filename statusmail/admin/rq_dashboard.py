"""rq-dashboard under /admin/rq, for logged-in admins only.

The dashboard has no authentication, no CSRF tokens on its POSTs, and a GET that
requeues jobs. So: the admin login gate in front of it, and every state-changing or
non-GET request must come from our own origin (Origin/Referer), which a cross-site
link or form cannot fake.
"""
from urllib.parse import urlsplit

import rq_dashboard
from flask import abort, redirect, request, url_for
from flask_login import current_user

from ..extensions import csrf

MOUNT = "/admin/rq"
# GET routes that change state in rq-dashboard 0.9.
_STATE_CHANGING_GET = ("/requeue", "/empty", "/delete", "/compact", "/cancel")


def mount_rq_dashboard(app):
    app.config.setdefault("RQ_DASHBOARD_REDIS_URL", app.config["REDIS_URL"])
    rq_dashboard.web.setup_rq_connection(app)
    blueprint = rq_dashboard.blueprint
    csrf.exempt(blueprint)
    # First in line, before the dashboard's own hooks touch Redis. The blueprint is a
    # module global shared by every app this process creates: register the guard once.
    hooks = blueprint.before_request_funcs.setdefault(None, [])
    if guard not in hooks:
        hooks.insert(0, guard)
    app.register_blueprint(blueprint, url_prefix=MOUNT)


def guard():
    if not current_user.is_authenticated:
        return redirect(url_for("admin.login", next=request.full_path))
    changes_state = request.method != "GET" or any(
        marker in request.path for marker in _STATE_CHANGING_GET)
    if changes_state and not _same_origin():
        abort(403)
    return None


def _same_origin():
    source = request.headers.get("Origin") or request.headers.get("Referer")
    if not source:
        return False
    origin = urlsplit(source)
    return (origin.scheme, origin.netloc) == (request.scheme, request.host)
