"""API routes for what the admin already does (see docs/api.md): incident templates,
discarding a draft incident, and the audience preview ("who will get this?") that the
admin shows next to every button that sends a notice — the same services."""
from flask import jsonify, request, url_for

from ..models import Incident
from ..models.notifications import EVENT_KINDS
from ..services import incident_drafts
from ..services import incident_templates as templates
from ..services.audience import (
    AudienceQueryError, MAINTENANCE_STAGES, maintenance_stages_preview, parse_component_ids,
    preview,
)
from ..services.maintenance.stages import REMINDER_MINUTES_MAX
from . import bp
from .schemas import ApiError, affected_components, json_body, utc
from .views import _get

TEMPLATE_KEYS = ("name", "title", "impact", "message", "components")


def template_json(template):
    return {"id": template.id, "name": template.name, "title": template.title,
            "impact": template.impact, "message": template.message,
            "components": [{"id": link.component_id, "name": link.component.name,
                            "status": link.new_status} for link in template.affected],
            "created_at": utc(template.created_at), "updated_at": utc(template.updated_at)}


def _template(template_id):
    template = templates.find_template(template_id)
    if template is None:
        raise ApiError(404, f"There is no incident template with id {template_id}.")
    return template


@bp.get("/incident-templates")
def list_incident_templates():
    return jsonify(templates=[template_json(t) for t in templates.all_templates()])


@bp.get("/incident-templates/<int:template_id>")
def get_incident_template(template_id):
    return jsonify(template=template_json(_template(template_id)))


@bp.post("/incident-templates")
def create_incident_template():
    body = json_body(TEMPLATE_KEYS)
    template = templates.save_template(
        name=body.get("name"), title=body.get("title"), impact=body.get("impact", "minor"),
        message=body.get("message"), affected=affected_components(body))
    response = jsonify(template=template_json(template))
    response.headers["Location"] = url_for("api.get_incident_template",
                                           template_id=template.id, _external=True)
    return response, 201


@bp.patch("/incident-templates/<int:template_id>")
def patch_incident_template(template_id):
    """Keys left out keep their value (``components`` replaces the whole list)."""
    template = _template(template_id)
    body = json_body(TEMPLATE_KEYS)
    if not body:
        raise ApiError(422, "Send at least one of: " + ", ".join(TEMPLATE_KEYS) + ".")
    affected = (affected_components(body) if "components" in body else
                [(link.component_id, link.new_status) for link in template.affected])
    templates.save_template(
        template, name=body.get("name", template.name), title=body.get("title", template.title),
        impact=body.get("impact", template.impact),
        message=body.get("message", template.message), affected=affected)
    return jsonify(template=template_json(template))


@bp.delete("/incident-templates/<int:template_id>")
def delete_incident_template(template_id):
    template = _template(template_id)
    templates.delete_template(template)
    return jsonify(deleted={"id": template_id})


@bp.delete("/incidents/<int:incident_id>")
def discard_incident_draft(incident_id):
    """Only a draft: a published incident is history (409)."""
    incident = _get(Incident, incident_id, "incident")
    incident_drafts.discard_draft(incident)  # it writes the audit entry (naming the token)
    return jsonify(deleted={"id": incident_id})


@bp.get("/audience")
def audience():
    """``?kind=incident_created&component=3`` → who a notice would reach now;
    ``&stage=…&reminder_minutes=…&window=…`` on a maintenance kind → which stages mail."""
    kind = request.args.get("kind")
    if kind not in EVENT_KINDS:
        raise ApiError(400, "'kind' must be one of: " + ", ".join(EVENT_KINDS) + ".", "kind")
    try:
        component_ids = parse_component_ids(request.args.getlist("component"))
    except AudienceQueryError as error:
        raise ApiError(400, str(error), "component") from None
    stages = request.args.getlist("stage")
    if not stages:
        return jsonify(audience=preview(kind, component_ids).as_json())
    if not kind.startswith("maintenance_"):
        raise ApiError(400, "'stage' goes with a maintenance kind.", "stage")
    unknown = sorted(set(stages) - set(MAINTENANCE_STAGES) - {"none"})
    if unknown:
        raise ApiError(400, "'stage' must be one of: " + ", ".join(MAINTENANCE_STAGES)
                       + " (or 'none').", "stage")
    minutes = request.args.get("reminder_minutes", "0")
    if not minutes.isdigit() or int(minutes) > REMINDER_MINUTES_MAX:
        raise ApiError(400, f"'reminder_minutes' must be 0 to {REMINDER_MINUTES_MAX}.",
                       "reminder_minutes")
    try:
        found = maintenance_stages_preview(component_ids, notify=True, switched_on=stages,
                                           reminder_minutes=int(minutes),
                                           window=request.args.get("window", "new"))
    except AudienceQueryError as error:
        raise ApiError(400, str(error), "window") from None
    return jsonify(audience=found.as_json())
