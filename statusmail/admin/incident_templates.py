"""Admin: incident templates — prepared incidents the new-incident form starts from."""
from flask import abort, flash, redirect, render_template, url_for

from ..extensions import db
from ..services import incident_templates as service
from ..services.components import ordered_components
from ..services.status import StatusError
from . import bp
from .status_forms import ActionForm, incident_template_form, show_error


@bp.route("/incident-templates")
def incident_templates():
    return render_template("admin/incident_templates.html", templates=service.all_templates(),
                           action_form=ActionForm())


@bp.route("/incident-templates/new", methods=["GET", "POST"])
def new_incident_template():
    return _edit(None)


@bp.route("/incident-templates/<int:template_id>", methods=["GET", "POST"])
def edit_incident_template(template_id):
    return _edit(service.find_template(template_id) or abort(404))


@bp.route("/incident-templates/<int:template_id>/delete", methods=["POST"])
def delete_incident_template(template_id):
    template = service.find_template(template_id) or abort(404)
    if ActionForm().validate_on_submit():
        name = template.name
        service.delete_template(template)
        flash(f"Template “{name}” deleted.", "success")
    return redirect(url_for("admin.incident_templates"))


def _edit(template):
    data = {"name": template.name, **service.form_values(template)} if template else {}
    form = incident_template_form(ordered_components(), **data)
    if form.validate_on_submit():
        try:
            saved = service.save_template(
                template, name=form.name.data, title=form.title.data, impact=form.impact.data,
                message=form.message.data, affected=form.affected())
        except StatusError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            flash(f"Template “{saved.name}” saved.", "success")
            return redirect(url_for("admin.incident_templates"))
    return render_template("admin/incident_template_form.html", form=form, template=template)
