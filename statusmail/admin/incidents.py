"""Admin: incidents — open one, post updates to its timeline, resolve it, correct its
title or impact."""
from flask import abort, flash, redirect, render_template, request, url_for

from ..extensions import db
from ..markdown import to_html
from ..models import Incident
from ..request_input import page_number
from ..services import delivery_log
from ..services import incident_templates as templates
from ..services import incidents as service
from ..services.audience import preview
from ..services.components import ordered_components
from ..services.status import StatusError, find
from . import bp
from .status_forms import (
    ActionForm, IncidentDetailsForm, IncidentUpdateForm, PublishDraftForm, ResolveIncidentForm,
    new_incident_form, notice_note, show_error,
)

PER_PAGE = 25


@bp.route("/incidents")
def incidents():
    resolved = (Incident.query.filter(Incident.status == "resolved", Incident.draft.is_(False))
                .order_by(Incident.resolved_at.desc(), Incident.id.desc())
                .paginate(page=page_number(), per_page=PER_PAGE,
                          error_out=False))
    return render_template("admin/incidents.html", open_incidents=service.open_incidents(),
                           drafts=service.draft_incidents(), resolved=resolved)


@bp.route("/incidents/new", methods=["GET", "POST"])
def new_incident():
    components = ordered_components()
    chosen_template = templates.find_template(request.args.get("template", type=int))
    form = new_incident_form(components, **(templates.form_values(chosen_template)
                                            if chosen_template else {}))
    if "preview" not in request.form and form.validate_on_submit():
        draft = "save_draft" in request.form
        try:
            incident, notification = service.create_incident(
                title=form.title.data, impact=form.impact.data, status=form.status.data,
                message=form.message.data, affected=form.affected(), notify=form.notify.data,
                draft=draft)
        except StatusError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            if draft:
                flash(f"Draft “{incident.title}” saved: it is not on the status page and "
                      "nobody was notified. Publish it when it is ready.", "success")
            else:
                flash(f"Incident “{incident.title}” is open"
                      + notice_note(form.notify.data, notification), "success")
            return redirect(url_for("admin.incident_detail", incident_id=incident.id))
    chosen = [component_id for component_id, _ in form.affected()]
    return render_template("admin/incidents_form.html", form=form, chosen_components=chosen,
                           audience=preview("incident_created", chosen),
                           message_preview=_posted_preview(form.message.data),
                           templates=templates.all_templates(), chosen_template=chosen_template)


@bp.route("/incidents/<int:incident_id>")
def incident_detail(incident_id):
    return _detail_page(find(Incident, incident_id) or abort(404))


@bp.route("/incidents/<int:incident_id>/updates", methods=["POST"])
def post_incident_update(incident_id):
    incident = find(Incident, incident_id) or abort(404)
    form = IncidentUpdateForm()
    if form.validate_on_submit():
        try:
            entry, notification = service.post_update(
                incident, status=form.status.data, message=form.message.data,
                notify=form.notify.data)
        except StatusError as error:
            show_error(form, error)
        else:
            done = "resolved" if entry.status == "resolved" else "updated"
            flash(f"Incident {done}" + notice_note(form.notify.data, notification), "success")
            return redirect(url_for("admin.incident_detail", incident_id=incident.id))
    return _detail_page(incident, update_form=form)


@bp.route("/incidents/<int:incident_id>/resolve", methods=["POST"])
def resolve_incident(incident_id):
    incident = find(Incident, incident_id) or abort(404)
    form = ResolveIncidentForm()
    if form.validate_on_submit():
        try:
            _, notification = service.resolve_incident(incident, message=form.message.data,
                                                       notify=form.notify.data)
        except StatusError as error:
            show_error(form, error)
        else:
            flash("Incident resolved" + notice_note(form.notify.data, notification), "success")
            return redirect(url_for("admin.incident_detail", incident_id=incident.id))
    return _detail_page(incident, resolve_form=form)


@bp.route("/incidents/<int:incident_id>/edit", methods=["POST"])
def edit_incident(incident_id):
    incident = find(Incident, incident_id) or abort(404)
    form = IncidentDetailsForm()
    if form.validate_on_submit():
        try:
            service.edit_incident(incident, title=form.title.data, impact=form.impact.data)
        except StatusError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            flash("Incident saved; no notice was sent (edits are not announced).", "success")
            return redirect(url_for("admin.incident_detail", incident_id=incident.id))
    return _detail_page(incident, edit_form=form)


def _posted_preview(text):
    """The message as it will read, when the form came back from "Preview" (no script)."""
    return to_html(text) if "preview" in request.form and text else None


def _detail_page(incident, update_form=None, resolve_form=None, edit_form=None,
                 publish_form=None):
    update_form = update_form or IncidentUpdateForm(formdata=None, status=incident.status)
    resolve_form = resolve_form or ResolveIncidentForm(formdata=None)
    edit_form = edit_form or IncidentDetailsForm(formdata=None, title=incident.title,
                                                 impact=incident.impact)
    component_ids = [link.component_id for link in incident.affected]
    return render_template("admin/incidents_detail.html", incident=incident,
                           update_form=update_form, resolve_form=resolve_form,
                           edit_form=edit_form, component_ids=component_ids,
                           publish_form=publish_form or PublishDraftForm(formdata=None),
                           action_form=ActionForm(),
                           audience=preview("incident_updated", component_ids),
                           notices=delivery_log.notices_about(incident_id=incident.id))
