"""API routes: components and incidents as JSON (maintenance: :mod:`.maintenances`;
see docs/api.md).

Every answer is JSON, errors included: ``{"error": "<what to fix>", "field": "<key>"}``.
"""
from flask import current_app, g, jsonify, request, url_for
from flask_limiter.util import get_remote_address

from ..extensions import db, limiter
from ..models import Component, Incident
from ..models.api_tokens import hash_token
from ..services import audit, incident_drafts, incidents
from ..services.api_tokens import ApiAuthError, authenticate
from ..services.components import change_component_status, ordered_components
from ..services.status import StatusConflict, StatusError, find
from . import bp
from .schemas import (
    ApiError, affected_components, component_json, flag, incident_json, json_body, timestamp,
    update_json,
)

DEFAULT_RATE_LIMIT = "120/minute"
LIST_LIMIT = 50
LIST_LIMIT_MAX = 100


def _rate_limit_key():
    """Per token (hashed: the key lands in Redis); per address when none is sent."""
    header = request.headers.get("Authorization")
    return "api:" + hash_token(header) if header else "api-ip:" + get_remote_address()


limiter.limit(lambda: current_app.config.get("API_RATE_LIMIT", DEFAULT_RATE_LIMIT),
              key_func=_rate_limit_key)(bp)


@bp.before_request
def require_token():
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    try:
        g.api_token = authenticate(credentials.strip() if scheme.lower() == "bearer" else "")
        # What this call changes, the audit log credits to the token (by name).
        audit.act_as(audit.Actor.api_token(g.api_token, request.remote_addr))
    except ApiAuthError as error:
        response = jsonify(error=str(error))
        response.headers["WWW-Authenticate"] = 'Bearer realm="statusmail"'
        return response, 401
    return None


@bp.errorhandler(ApiError)
def api_error(error):
    return jsonify(error.payload()), error.status


@bp.errorhandler(StatusError)
def status_error(error):
    db.session.rollback()
    status = 409 if isinstance(error, StatusConflict) else 422
    return jsonify(error=error.message, field=error.field), status


def _get(model, object_id, what):
    row = find(model, object_id)
    if row is None:
        raise ApiError(404, f"There is no {what} with id {object_id}.")
    return row


def _list_limit():
    limit = request.args.get("limit", LIST_LIMIT, type=int)
    if not 1 <= limit <= LIST_LIMIT_MAX:
        raise ApiError(400, f"'limit' must be between 1 and {LIST_LIMIT_MAX}.", "limit")
    return limit


def _notification_id(notification):
    return notification.id if notification is not None else None


@bp.get("/components")
def list_components():
    return jsonify(components=[component_json(c) for c in ordered_components()])


@bp.get("/components/<int:component_id>")
def get_component(component_id):
    return jsonify(component=component_json(_get(Component, component_id, "component")))


@bp.patch("/components/<int:component_id>")
def patch_component(component_id):
    component = _get(Component, component_id, "component")
    body = json_body(("status", "notify"))
    if "status" not in body:
        raise ApiError(422, "'status' is required.", "status")
    notification = change_component_status(component, body["status"],
                                           notify=flag(body, "notify"))
    return jsonify(component=component_json(component),
                   notification_id=_notification_id(notification))


@bp.get("/incidents")
def list_incidents():
    query = Incident.query.order_by(Incident.created_at.desc(), Incident.id.desc())
    wanted = request.args.get("status")
    published = Incident.draft.is_(False)
    if wanted == "open":
        query = query.filter(Incident.status != "resolved", published)
    elif wanted == "resolved":
        query = query.filter(Incident.status == "resolved", published)
    elif wanted == "draft":
        query = query.filter(Incident.draft.is_(True))
    elif wanted is not None:
        raise ApiError(400, "'status' must be 'open', 'resolved' or 'draft'.", "status")
    return jsonify(incidents=[incident_json(i) for i in query.limit(_list_limit())])


@bp.post("/incidents")
def create_incident():
    body = json_body(("title", "impact", "status", "message", "components", "notify", "draft"))
    incident, notification = incidents.create_incident(
        title=body.get("title"), impact=body.get("impact", "minor"),
        status=body.get("status", "investigating"), message=body.get("message"),
        affected=affected_components(body), notify=flag(body, "notify"),
        draft=flag(body, "draft", default=False))
    response = jsonify(incident=incident_json(incident),
                       notification_id=_notification_id(notification))
    response.headers["Location"] = f"{request.base_url}/{incident.id}"
    return response, 201


@bp.post("/incidents/backfill")
def backfill_incident():
    body = json_body(("title", "impact", "message", "started_at", "resolved_at", "components"))
    incident = incident_drafts.backfill_incident(
        title=body.get("title"), impact=body.get("impact", "minor"), message=body.get("message"),
        started_at=timestamp(body, "started_at"), resolved_at=timestamp(body, "resolved_at"),
        affected=affected_components(body))
    response = jsonify(incident=incident_json(incident), notification_id=None)
    response.headers["Location"] = url_for("api.get_incident", incident_id=incident.id,
                                           _external=True)
    return response, 201


@bp.post("/incidents/<int:incident_id>/publish")
def publish_incident(incident_id):
    incident = _get(Incident, incident_id, "incident")
    body = json_body(("notify",), required=False)
    notification = incident_drafts.publish_draft(incident, notify=flag(body, "notify"))
    return jsonify(incident=incident_json(incident),
                   notification_id=_notification_id(notification))


@bp.get("/incidents/<int:incident_id>")
def get_incident(incident_id):
    return jsonify(incident=incident_json(_get(Incident, incident_id, "incident")))


@bp.patch("/incidents/<int:incident_id>")
def patch_incident(incident_id):
    incident = _get(Incident, incident_id, "incident")
    body = json_body(("title", "impact"))
    if not body:
        raise ApiError(422, "Send 'title', 'impact' or both.")
    incidents.edit_incident(incident, title=body.get("title", incident.title),
                            impact=body.get("impact", incident.impact))
    return jsonify(incident=incident_json(incident))


@bp.post("/incidents/<int:incident_id>/updates")
def post_incident_update(incident_id):
    incident = _get(Incident, incident_id, "incident")
    body = json_body(("status", "message", "notify"))
    entry, notification = incidents.post_update(
        incident, status=body.get("status", incident.status), message=body.get("message"),
        notify=flag(body, "notify"))
    return jsonify(update=update_json(entry), incident=incident_json(incident),
                   notification_id=_notification_id(notification)), 201


@bp.post("/incidents/<int:incident_id>/resolve")
def resolve_incident(incident_id):
    incident = _get(Incident, incident_id, "incident")
    body = json_body(("message", "notify"), required=False)
    _, notification = incidents.resolve_incident(incident, message=body.get("message"),
                                                 notify=flag(body, "notify"))
    return jsonify(incident=incident_json(incident),
                   notification_id=_notification_id(notification))
