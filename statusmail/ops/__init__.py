"""Endpoints for machines: ``/healthz`` for load balancers, ``/metrics`` for Prometheus,
and ``/favicon.ico`` for browsers that ask for it without reading a page's ``<link>``.

``/healthz`` answers 200 or 503 with which check failed (no detail that helps an
attacker). ``/metrics`` is for your Prometheus only: with ``STATUSMAIL_METRICS_TOKEN``
set it wants ``Authorization: Bearer <token>``; without it, it answers loopback clients
alone.
"""
import hmac
import ipaddress

from flask import Blueprint, Response, abort, current_app, jsonify, request, send_from_directory
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from ..extensions import csrf, limiter
from ..services.health import health_report
from ..services.metrics import StatusmailCollector

bp = Blueprint("ops", __name__)
csrf.exempt(bp)
limiter.exempt(bp)


FAVICON_MAX_AGE = 7 * 24 * 3600


@bp.route("/favicon.ico")
def favicon():
    """The vendored icon every layout links (static/favicon.ico), at the address browsers
    and feed readers try on their own."""
    return send_from_directory(current_app.static_folder, "favicon.ico",
                               mimetype="image/vnd.microsoft.icon", max_age=FAVICON_MAX_AGE)


@bp.route("/healthz")
def healthz():
    healthy, checks = health_report()
    response = jsonify(status="ok" if healthy else "failing", checks=checks)
    response.status_code = 200 if healthy else 503
    response.headers["Cache-Control"] = "no-store"
    return response


def _metrics_allowed():
    token = current_app.config.get("METRICS_TOKEN")
    if token:
        given = request.headers.get("Authorization", "")
        return given.startswith("Bearer ") and hmac.compare_digest(
            given[len("Bearer "):].encode(), token.encode())
    try:
        return ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        return False


@bp.route("/metrics")
def metrics():
    if not _metrics_allowed():
        abort(404)  # not 403: do not advertise an endpoint to strangers
    from .. import QUEUE_NAMES
    registry = CollectorRegistry(auto_describe=False)
    registry.register(StatusmailCollector(QUEUE_NAMES))
    response = Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)
    response.headers["Cache-Control"] = "no-store"
    return response
