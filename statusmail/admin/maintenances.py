"""Admin: scheduled maintenance. Times are entered and shown in the status page's zone
and stored in UTC; the scheduler starts and completes windows on time by itself."""
from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy.orm import selectinload
from wtforms.fields.choices import SelectChoice

from ..extensions import db
from ..markdown import to_html
from ..models import Maintenance
from ..request_input import page_number
from ..services import delivery_log
from ..services import maintenance as service
from ..services.audience import maintenance_stages_preview, preview
from ..services.components import ordered_components
from ..services.status import StatusError, find
from ..services.timezones import operator_zone, to_local, to_utc
from . import bp
from .status_forms import (
    ActionForm, CancelMaintenanceForm, MaintenanceForm, MaintenanceUpdateForm, notice_note,
    show_error,
)

PER_PAGE = 25
STAGE_FIELDS = ("notify_scheduled", "notify_reminder", "notify_started", "notify_completed",
                "reminder_minutes")


@bp.route("/maintenance")
def maintenances():
    # Components in one query per list, not one per window.
    listed = Maintenance.query.options(selectinload(Maintenance.components))
    active = (listed.filter(Maintenance.status.in_(service.ACTIVE_STATES))
              .order_by(Maintenance.starts_at).all())
    past = (listed.filter(~Maintenance.status.in_(service.ACTIVE_STATES))
            .order_by(Maintenance.starts_at.desc(), Maintenance.id.desc())
            .paginate(page=page_number(), per_page=PER_PAGE,
                      error_out=False))
    return render_template("admin/maintenance.html", active=active, past=past)


@bp.route("/maintenance/new", methods=["GET", "POST"])
def new_maintenance():
    form = _form()
    if "preview" not in request.form and form.validate_on_submit():
        try:
            maintenance, notification = service.schedule_maintenance(**_fields(form))
        except StatusError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            flash(f"Maintenance “{maintenance.title}” is scheduled"
                  + notice_note(form.notify.data, notification), "success")
            return redirect(url_for("admin.maintenance_detail", maintenance_id=maintenance.id))
    return _form_page(form, None)


@bp.route("/maintenance/<int:maintenance_id>")
def maintenance_detail(maintenance_id, update_form=None):
    maintenance = find(Maintenance, maintenance_id) or abort(404)
    component_ids = [component.id for component in maintenance.components]
    return render_template("admin/maintenance_detail.html", maintenance=maintenance,
                           action_form=ActionForm(), cancel_form=CancelMaintenanceForm(),
                           update_form=update_form or MaintenanceUpdateForm(formdata=None),
                           component_ids=component_ids,
                           audience=preview("maintenance_started", component_ids),
                           notices=delivery_log.notices_about(maintenance_id=maintenance.id))


@bp.route("/maintenance/<int:maintenance_id>/updates", methods=["POST"])
def post_maintenance_update(maintenance_id):
    maintenance = find(Maintenance, maintenance_id) or abort(404)
    form = MaintenanceUpdateForm()
    if form.validate_on_submit():
        try:
            _, notification = service.post_maintenance_update(
                maintenance, message=form.message.data, notify=form.notify.data)
        except StatusError as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            flash("Update posted" + notice_note(form.notify.data and maintenance.notify,
                                                notification), "success")
            return redirect(url_for("admin.maintenance_detail", maintenance_id=maintenance.id))
    return maintenance_detail(maintenance.id, update_form=form), 422


@bp.route("/maintenance/<int:maintenance_id>/edit", methods=["GET", "POST"])
def edit_maintenance(maintenance_id):
    maintenance = find(Maintenance, maintenance_id) or abort(404)
    if maintenance.status not in service.ACTIVE_STATES:
        flash(f"This maintenance is {maintenance.status_label.lower()}; it can no longer be "
              "changed.", "error")
        return redirect(url_for("admin.maintenance_detail", maintenance_id=maintenance.id))
    form = _form(maintenance)
    if "preview" not in request.form and form.validate_on_submit():
        try:
            _, notification = service.edit_maintenance(maintenance, **_fields(form, maintenance))
        except StatusError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            flash("Maintenance saved" + ("; subscribers are being told of the new time."
                                         if notification is not None else "."), "success")
            return redirect(url_for("admin.maintenance_detail", maintenance_id=maintenance.id))
    return _form_page(form, maintenance)


@bp.route("/maintenance/<int:maintenance_id>/start", methods=["POST"])
def start_maintenance(maintenance_id):
    return _act(maintenance_id, service.start_maintenance, "Maintenance started.",
                "Only scheduled maintenance can be started; this one is {state}.")


@bp.route("/maintenance/<int:maintenance_id>/complete", methods=["POST"])
def complete_maintenance(maintenance_id):
    return _act(maintenance_id, service.complete_maintenance, "Maintenance completed.",
                "Only maintenance in progress can be completed; this one is {state}.")


@bp.route("/maintenance/<int:maintenance_id>/cancel", methods=["POST"])
def cancel_maintenance(maintenance_id):
    maintenance = find(Maintenance, maintenance_id) or abort(404)
    form = CancelMaintenanceForm()
    if form.validate_on_submit():
        announced = maintenance.subscribers_told
        try:
            notification = service.cancel_maintenance(maintenance.id, notify=form.notify.data)
        except StatusError as error:
            flash(error.message, "error")
        else:
            flash("Maintenance cancelled"
                  + notice_note(form.notify.data and announced, notification), "success")
    return redirect(url_for("admin.maintenance_detail", maintenance_id=maintenance.id))


def _act(maintenance_id, transition, done, refused):
    maintenance = find(Maintenance, maintenance_id) or abort(404)
    if ActionForm().validate_on_submit():
        if transition(maintenance.id):
            flash(done, "success")
        else:
            db.session.refresh(maintenance)
            flash(refused.format(state=maintenance.status_label.lower()), "error")
    return redirect(url_for("admin.maintenance_detail", maintenance_id=maintenance.id))


def _form_page(form, maintenance):
    """The schedule/edit page, with the audience its notices would have for the
    components ticked now (as posted, when the form comes back)."""
    chosen = [cid for cid in (form.component_ids.data or []) if isinstance(cid, int)]
    window = maintenance.status if maintenance is not None else "new"
    minutes = form.reminder_minutes.data
    audience = maintenance_stages_preview(
        chosen, notify=form.notify.data, window=window,
        switched_on=[stage for stage in ("scheduled", "reminder", "started", "completed")
                     if getattr(form, f"notify_{stage}").data],
        reminder_minutes=minutes if isinstance(minutes, int) and minutes > 0 else 0)
    return render_template("admin/maintenance_form.html", form=form, maintenance=maintenance,
                           chosen_components=chosen, audience=audience, audience_window=window,
                           description_preview=(to_html(form.description.data)
                                                if "preview" in request.form
                                                and form.description.data else None))


def _form(maintenance=None):
    """The form with local times filled in from the UTC row (when editing)."""
    zone = operator_zone()
    data = {}
    if request.method == "GET":
        data = service.stage_defaults()
    if maintenance is not None and request.method == "GET":
        data = {"title": maintenance.title, "description": maintenance.description,
                "starts_at": to_local(maintenance.starts_at, zone).replace(tzinfo=None),
                "ends_at": to_local(maintenance.ends_at, zone).replace(tzinfo=None),
                "component_ids": [component.id for component in maintenance.components],
                "notify": maintenance.notify,
                **{name: getattr(maintenance, name) for name in STAGE_FIELDS}}
    form = MaintenanceForm(**data)
    form.component_ids.choices = [SelectChoice(c.id, c.name) for c in ordered_components()]
    form.set_zone(zone.key)
    return form


def _fields(form, maintenance=None):
    """Service arguments, times in UTC. The form shows whole minutes: a time left as shown
    keeps its stored seconds (so a running window's start does not look changed)."""
    zone = operator_zone()
    fields = {"title": form.title.data, "description": form.description.data,
              "starts_at": to_utc(form.starts_at.data, zone) if form.starts_at.data else None,
              "ends_at": to_utc(form.ends_at.data, zone) if form.ends_at.data else None,
              "component_ids": form.component_ids.data or [], "notify": form.notify.data,
              **{name: getattr(form, name).data for name in STAGE_FIELDS}}
    if maintenance is not None:
        for name in ("starts_at", "ends_at"):
            stored = getattr(maintenance, name)
            if fields[name] == stored.replace(second=0, microsecond=0):
                fields[name] = stored
    return fields
