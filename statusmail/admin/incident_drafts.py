"""Admin: incidents that are not news — publish or delete a draft, backfill a past one."""
from flask import abort, flash, redirect, render_template, url_for

from ..extensions import db
from ..models import Incident, utcnow
from ..services import incident_drafts as service
from ..services.components import ordered_components
from ..services.status import StatusError, find
from ..services.timezones import operator_zone, to_local, to_utc
from . import bp
from .incidents import _detail_page
from .status_forms import (
    ActionForm, PublishDraftForm, backfill_incident_form, notice_note, show_error,
)


@bp.route("/incidents/<int:incident_id>/publish", methods=["POST"])
def publish_incident(incident_id):
    incident = find(Incident, incident_id) or abort(404)
    form = PublishDraftForm()
    if form.validate_on_submit():
        try:
            notification = service.publish_draft(incident, notify=form.notify.data)
        except StatusError as error:
            flash(error.message, "error")
        else:
            flash(f"Incident “{incident.title}” is published"
                  + notice_note(form.notify.data, notification), "success")
        return redirect(url_for("admin.incident_detail", incident_id=incident.id))
    return _detail_page(incident, publish_form=form)


@bp.route("/incidents/<int:incident_id>/discard", methods=["POST"])
def discard_incident_draft(incident_id):
    incident = find(Incident, incident_id) or abort(404)
    if ActionForm().validate_on_submit():
        title = incident.title
        try:
            service.discard_draft(incident)
        except StatusError as error:
            flash(error.message, "error")
            return redirect(url_for("admin.incident_detail", incident_id=incident.id))
        flash(f"Draft “{title}” discarded.", "success")
    return redirect(url_for("admin.incidents"))


@bp.route("/incidents/backfill", methods=["GET", "POST"])
def backfill_incident():
    zone = operator_zone()
    form = backfill_incident_form(ordered_components())
    form.set_zone(zone.key, to_local(utcnow(), zone))
    if form.validate_on_submit():
        try:
            incident = service.backfill_incident(
                title=form.title.data, impact=form.impact.data, message=form.message.data,
                started_at=to_utc(form.started_at.data, zone) if form.started_at.data else None,
                resolved_at=(to_utc(form.resolved_at.data, zone)
                             if form.resolved_at.data else None),
                affected=form.affected())
        except StatusError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            flash(f"“{incident.title}” is in the history; nobody was notified.", "success")
            return redirect(url_for("admin.incident_detail", incident_id=incident.id))
    return render_template("admin/incidents_backfill.html", form=form)
