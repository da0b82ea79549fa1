"""Admin: the audience preview's JSON, which ``static/admin.js`` asks for whenever the
operator changes the components (or kind) of a notice about to be sent."""
from flask import jsonify, request

from ..services.audience import AudienceQueryError, parse_component_ids, preview
from . import bp


@bp.route("/audience.json")
def audience_preview():
    """``?kind=incident_created&component=3&component=4`` → the preview's figures."""
    try:
        found = preview(request.args.get("kind", ""),
                        parse_component_ids(request.args.getlist("component")))
    except AudienceQueryError as error:
        return jsonify(error=str(error)), 400
    return jsonify(found.as_json())
