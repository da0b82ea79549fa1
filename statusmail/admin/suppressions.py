"""Admin: the suppression list (add, lift, search) and the SendGrid event webhook's key."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..extensions import db
from ..models import Subscriber, Suppression
from ..services import suppressions as service
from ..services.deliverability.webhook_key import current_key_text, save_key
from ..services.keyset import cursor_args
from ..services.links import external_url
from . import bp
from .suppression_forms import (
    AddSuppressionForm, LiftSuppressionForm, SuppressionFilterForm, WebhookKeyForm,
)


def _list(add_form=None, status=200):
    filter_form = SuppressionFilterForm(request.args)
    filter_form.validate()
    filters = filter_form.values()
    page = service.suppressions_page(filters["q"], filters["reason"] or None,
                                     filters["source"] or None, filters["show"], *cursor_args())
    link_args = {name: value for name, value in filters.items()
                 if value and not (name == "show" and value == "active")}
    return render_template("admin/suppressions.html", page=page, filter_form=filter_form,
                           link_args=link_args, add_form=add_form or AddSuppressionForm(),
                           lift_form=LiftSuppressionForm(formdata=None),
                           webhook_on=bool(current_key_text())), status


@bp.route("/suppressions")
def suppressions():
    return _list()


@bp.route("/suppressions/new", methods=["POST"])
def suppression_add():
    form = AddSuppressionForm()
    if not form.validate_on_submit():
        return _list(form, 400)
    row, created = service.add_by_operator(form.email.data, form.detail.data,
                                           by=current_user.email)
    if created:
        flash(f"{row.email} is suppressed: it gets no mail from now on"
              + (" and its subscriber no longer receives notices." if row.subscriber_id
                 else "."), "success")
    else:
        flash(f"{row.email} was already suppressed ({row.reason_label}).", "info")
    return redirect(url_for("admin.suppressions"))


@bp.route("/suppressions/<int:suppression_id>", methods=["GET", "POST"])
def suppression_detail(suppression_id):
    row = db.session.get(Suppression, suppression_id) or abort(404)
    form = LiftSuppressionForm()
    if row.active and form.validate_on_submit():
        try:
            lifted = service.lift(row.id, by=current_user.email, note=form.note.data)
        except service.NotSuppressed:
            flash("This suppression was lifted meanwhile.", "info")
        else:
            flash(lifted.describe(), "success")
        return redirect(url_for("admin.suppression_detail", suppression_id=row.id))
    subscriber = db.session.get(Subscriber, row.subscriber_id) if row.subscriber_id else None
    return render_template("admin/suppression_detail.html", row=row, form=form,
                           subscriber=subscriber), 400 if form.errors else 200


@bp.route("/event-webhook", methods=["GET", "POST"])
def event_webhook():
    form = WebhookKeyForm(data={"public_key": current_key_text() or ""})
    if form.validate_on_submit():
        row = save_key(form.public_key.data, by=current_user.email)
        service.audit_settings_change("event_webhook_key_changed",
                                      "SendGrid event webhook key " +
                                      ("saved" if row.sendgrid_public_key else "removed"))
        flash("The key is saved: signed events from SendGrid are accepted." if
              row.sendgrid_public_key else
              "The key is removed: the webhook refuses every request.", "success")
        return redirect(url_for("admin.event_webhook"))
    return render_template("admin/event_webhook.html", form=form,
                           webhook_url=external_url("webhooks.sendgrid_events_webhook"),
                           configured=bool(current_key_text())), 400 if form.errors else 200
