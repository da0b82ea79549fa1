"""API routes for scheduled maintenance (see docs/api.md): schedule, move or edit,
post updates, cancel. The services decide what is announced; an answer names the
notice it recorded (``notification_id``), or ``null``.
"""
from flask import jsonify, request
from sqlalchemy.orm import selectinload

from ..models import Maintenance
from ..models.status import MAINTENANCE_STATUSES
from ..services import maintenance as service
from . import bp
from .schemas import (
    ApiError, flag, id_list, json_body, maintenance_json, maintenance_update_json, timestamp,
)
from .views import _get, _list_limit, _notification_id

STAGE_KEYS = ("notify_scheduled", "notify_reminder", "notify_started", "notify_completed")
WINDOW_KEYS = ("title", "description", "starts_at", "ends_at", "component_ids", "notify",
               *STAGE_KEYS, "reminder_minutes")


def _stages(body):
    """The stage switches and lead time the body sets (the service checks the minutes)."""
    stages = {key: flag(body, key) for key in STAGE_KEYS if key in body}
    if "reminder_minutes" in body:
        stages["reminder_minutes"] = body["reminder_minutes"]
    return stages


@bp.get("/maintenances")
def list_maintenances():
    query = (Maintenance.query
             .options(selectinload(Maintenance.components), selectinload(Maintenance.updates))
             .order_by(Maintenance.starts_at.desc(), Maintenance.id.desc()))
    wanted = request.args.get("status")
    if wanted == "upcoming":
        query = query.filter(Maintenance.status.in_(service.ACTIVE_STATES))
    elif wanted in MAINTENANCE_STATUSES:
        query = query.filter(Maintenance.status == wanted)
    elif wanted is not None:
        raise ApiError(400, "'status' must be 'upcoming' or one of: "
                       + ", ".join(MAINTENANCE_STATUSES) + ".", "status")
    return jsonify(maintenances=[maintenance_json(m) for m in query.limit(_list_limit())])


@bp.post("/maintenances")
def create_maintenance():
    body = json_body(WINDOW_KEYS)
    maintenance, notification = service.schedule_maintenance(
        title=body.get("title"), description=body.get("description"),
        starts_at=timestamp(body, "starts_at"), ends_at=timestamp(body, "ends_at"),
        component_ids=id_list(body, "component_ids"), notify=flag(body, "notify"),
        **_stages(body))
    response = jsonify(maintenance=maintenance_json(maintenance),
                       notification_id=_notification_id(notification))
    response.headers["Location"] = f"{request.base_url}/{maintenance.id}"
    return response, 201


@bp.get("/maintenances/<int:maintenance_id>")
def get_maintenance(maintenance_id):
    return jsonify(maintenance=maintenance_json(
        _get(Maintenance, maintenance_id, "maintenance")))


@bp.patch("/maintenances/<int:maintenance_id>")
def patch_maintenance(maintenance_id):
    """Change what the body names; moving a window subscribers know of announces it."""
    maintenance = _get(Maintenance, maintenance_id, "maintenance")
    body = json_body(WINDOW_KEYS)
    if not body:
        raise ApiError(422, "Send at least one of: " + ", ".join(WINDOW_KEYS) + ".")
    _, notification = service.edit_maintenance(
        maintenance,
        title=body.get("title", maintenance.title),
        description=body.get("description", maintenance.description),
        starts_at=timestamp(body, "starts_at") if "starts_at" in body else maintenance.starts_at,
        ends_at=timestamp(body, "ends_at") if "ends_at" in body else maintenance.ends_at,
        component_ids=(id_list(body, "component_ids") if "component_ids" in body
                       else [component.id for component in maintenance.components]),
        notify=flag(body, "notify", default=maintenance.notify),
        **_stages(body))
    return jsonify(maintenance=maintenance_json(maintenance),
                   notification_id=_notification_id(notification))


@bp.post("/maintenances/<int:maintenance_id>/updates")
def post_maintenance_update(maintenance_id):
    maintenance = _get(Maintenance, maintenance_id, "maintenance")
    body = json_body(("message", "notify"))
    entry, notification = service.post_maintenance_update(
        maintenance, message=body.get("message"), notify=flag(body, "notify"))
    return jsonify(update=maintenance_update_json(entry),
                   maintenance=maintenance_json(maintenance),
                   notification_id=_notification_id(notification)), 201


@bp.post("/maintenances/<int:maintenance_id>/cancel")
def cancel_maintenance(maintenance_id):
    maintenance = _get(Maintenance, maintenance_id, "maintenance")
    body = json_body(("notify",), required=False)
    notification = service.cancel_maintenance(maintenance.id, notify=flag(body, "notify"))
    return jsonify(maintenance=maintenance_json(maintenance),
                   notification_id=_notification_id(notification))
