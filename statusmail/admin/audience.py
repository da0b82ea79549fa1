"""Admin: the audience preview's JSON, which ``static/admin.js`` asks for whenever the
operator changes the components (or kind) of a notice about to be sent."""
from flask import jsonify, request

from ..services.audience import (
    AudienceQueryError, maintenance_stages_preview, parse_component_ids, preview,
)
from ..services.maintenance.stages import REMINDER_MINUTES_MAX
from . import bp


@bp.route("/audience.json")
def audience_preview():
    """``?kind=incident_created&component=3&component=4`` → the preview's figures."""
    try:
        component_ids = parse_component_ids(request.args.getlist("component"))
        if request.args.get("stages") == "1":
            found = _stages_preview(component_ids)
        else:
            found = preview(request.args.get("kind", ""), component_ids)
    except AudienceQueryError as error:
        return jsonify(error=str(error)), 400
    return jsonify(found.as_json())


def _stages_preview(component_ids):
    """``?stages=1&window=new&stage=scheduled&stage=started&reminder_minutes=30``: the
    maintenance form's line, stating which of the window's stages mail whom."""
    minutes = request.args.get("reminder_minutes", "0")
    if not minutes.isdigit() or int(minutes) > REMINDER_MINUTES_MAX:
        raise AudienceQueryError("reminder_minutes is a whole number of minutes, "
                                 f"0 to {REMINDER_MINUTES_MAX:,}.")
    return maintenance_stages_preview(
        component_ids, notify=request.args.get("notify", "1") == "1",
        switched_on=request.args.getlist("stage"), reminder_minutes=int(minutes),
        window=request.args.get("window", "new"))
