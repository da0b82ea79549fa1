"""Admin: components — add, edit, delete, and change a status by hand."""
from flask import abort, flash, redirect, render_template, url_for

from ..extensions import db
from ..models import Component
from ..services import components as service
from ..services.audience import preview
from ..services.status import StatusError, find
from . import bp
from .status_forms import (
    ActionForm, ComponentDetailsForm, ComponentStatusForm, NewComponentForm, notice_note,
    show_error,
)


@bp.route("/components")
def components():
    return render_template("admin/components.html", components=service.ordered_components(),
                           action_form=ActionForm())


@bp.route("/components/new", methods=["GET", "POST"])
def new_component():
    form = NewComponentForm()
    if form.validate_on_submit():
        try:
            component = service.create_component(
                name=form.name.data, group_name=form.group_name.data,
                description=form.description.data, status=form.status.data,
                position=form.position.data or 0)
        except StatusError as error:
            show_error(form, error)
        else:
            flash(f"Added “{component.name}”.", "success")
            return redirect(url_for("admin.components"))
    return render_template("admin/components_form.html", form=form, component=None)


@bp.route("/components/<int:component_id>", methods=["GET", "POST"])
def edit_component(component_id):
    component = find(Component, component_id) or abort(404)
    form = ComponentDetailsForm(obj=component)
    if form.validate_on_submit():
        try:
            service.edit_component(component, name=form.name.data,
                                   group_name=form.group_name.data,
                                   description=form.description.data,
                                   position=form.position.data or 0)
        except StatusError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            flash(f"Saved “{component.name}”.", "success")
            return redirect(url_for("admin.components"))
    return _edit_page(component, form=form)


@bp.route("/components/<int:component_id>/status", methods=["POST"])
def change_component_status(component_id):
    component = find(Component, component_id) or abort(404)
    form = ComponentStatusForm()
    if form.validate_on_submit():
        previous_label = component.status_label
        try:
            notification = service.change_component_status(component, form.status.data,
                                                           notify=form.notify.data)
        except StatusError as error:
            show_error(form, error)
        else:
            if component.status_label == previous_label:
                flash(f"“{component.name}” is already {previous_label.lower()}.", "info")
            else:
                flash(f"“{component.name}” is now {component.status_label.lower()}"
                      + notice_note(form.notify.data, notification), "success")
            return redirect(url_for("admin.components"))
    return _edit_page(component, status_form=form)


@bp.route("/components/<int:component_id>/delete", methods=["POST"])
def delete_component(component_id):
    component = find(Component, component_id) or abort(404)
    if ActionForm().validate_on_submit():
        name = component.name
        service.delete_component(component)
        flash(f"Deleted “{name}”.", "success")
    return redirect(url_for("admin.components"))


def _edit_page(component, form=None, status_form=None):
    """The edit page holds two forms; each is rebuilt from the row unless it was posted."""
    form = form or ComponentDetailsForm(formdata=None, obj=component)
    status_form = status_form or ComponentStatusForm(formdata=None, status=component.status)
    return render_template("admin/components_form.html", form=form, status_form=status_form,
                           component=component, action_form=ActionForm(),
                           audience=preview("component_status_changed", [component.id]))

