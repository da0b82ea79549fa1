"""The public status page: current status, incident and maintenance pages, history."""
from flask import abort, render_template, request

from ..models import Incident, Maintenance
from ..services.status import find
from ..services.status_page import HISTORY_PAGES, status_overview
from ..services.status_page import history as history_days
from ..services.timezones import operator_zone
from . import bp
from .forms import ManageLinkForm
from .page_cache import cached_page


def _page(template, **context):
    return render_template(template, zone_name=operator_zone().key, **context)


@bp.route("/")
@cached_page
def index():
    return _page("public/index.html", manage_link_form=ManageLinkForm(formdata=None),
                 **status_overview())


@bp.route("/incidents/<int:incident_id>")
def incident(incident_id):
    found = find(Incident, incident_id)
    if found is None or found.draft:  # a draft is nobody's business yet
        abort(404)
    return _page("public/incident.html", incident=found)


@bp.route("/maintenance/<int:maintenance_id>")
def maintenance(maintenance_id):
    return _page("public/maintenance.html",
                 maintenance=find(Maintenance, maintenance_id) or abort(404))


@bp.route("/history")
def history():
    page = request.args.get("page", 1, type=int)  # range-checked below: no query
    if not 1 <= page <= HISTORY_PAGES:
        abort(404)
    days, has_older = history_days(page)
    return _page("public/history.html", days=days, page=page, has_older=has_older)
