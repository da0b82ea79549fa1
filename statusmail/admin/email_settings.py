"""Email settings and Test send: configure delivery, then prove it with one real mail."""
from zoneinfo import available_timezones

from flask import abort, current_app, flash, jsonify, redirect, render_template, url_for
from flask_login import current_user

from ..mail.list_id import derived_list_id
from ..models import SiteSettings
from ..services.delivery_settings import delivery_settings
from ..services.email_settings import describe_delivery, save_email_settings
from ..services.mail_environment import VARIABLES, describe_mail_environment
from ..services.settings_trial import try_email_settings
from ..services.test_send import (find_test_send, queue_test_send, recent_test_sends,
                                  report_test_send)
from . import bp
from .security_notes import note
from .email_settings_forms import EmailSettingsForm, TestSendForm, TrialRecipientForm

# Names in the tz database that are not places an operator would choose.
_NOT_ZONES = {"localtime", "Factory", "posixrules"}


@bp.route("/email", methods=["GET", "POST"])
def email_settings():
    settings = SiteSettings.get()
    form = _settings_form(settings)
    if form.validate_on_submit():
        for warning in save_email_settings(form.data):
            flash(warning, "warning")
        flash("Email settings saved. Send a test mail to check them.", "success")
        return redirect(url_for("admin.email_settings"))
    if form.is_submitted():
        flash("Nothing was saved: correct the fields marked below.", "error")
    return _settings_page(form, settings)


@bp.route("/email/try", methods=["POST"])
def email_settings_try():
    """"Test these settings": one mail sent with the values in the form; nothing saved."""
    settings = SiteSettings.get()
    form = _settings_form(settings)
    if current_app.config["MAIL_ENVIRONMENT"]:
        flash("The environment sets provider and sender: try them with Send a test mail.",
              "info")
        return redirect(url_for("admin.test_send"))
    recipient = TrialRecipientForm()
    settings_valid = form.validate_on_submit()
    if recipient.validate() and settings_valid:
        trial = try_email_settings(form.data, recipient.trial_recipient.data)
        note("email_settings_tried", provider=form.data.get("provider"), ok=trial["ok"])
        return _settings_page(form, settings, recipient, trial=trial)
    flash("Nothing was tried or saved: correct the fields marked below.", "error")
    return _settings_page(form, settings, recipient)


def _settings_form(settings):
    form = EmailSettingsForm(obj=settings,
                             has_smtp_password=bool(settings.smtp_password_encrypted),
                             has_sendgrid_key=bool(settings.sendgrid_api_key_encrypted))
    if current_app.config["MAIL_ENVIRONMENT"]:
        form.leave_delivery_to_environment()
    return form


def _settings_page(form, settings, recipient=None, trial=None):
    if recipient is None:
        recipient = TrialRecipientForm(formdata=None, trial_recipient=current_user.email)
    from_environment = current_app.config["MAIL_ENVIRONMENT"]
    return render_template("admin/email_settings.html", form=form, settings=settings,
                           recipient_form=recipient, trial=trial,
                           delivery=describe_delivery(delivery_settings(settings)),
                           saved_delivery=describe_delivery(settings),
                           environment=from_environment and describe_mail_environment(
                               from_environment),
                           environment_variables=VARIABLES,
                           derived_list_id=derived_list_id(
                               current_app.config["STATUSMAIL_BASE_URL"]),
                           zones=sorted(available_timezones() - _NOT_ZONES))


@bp.route("/email/test", methods=["GET", "POST"])
def test_send():
    form = TestSendForm()
    if not form.is_submitted():
        form.recipient.data = current_user.email
    if form.validate_on_submit():
        row = queue_test_send(form.recipient.data, form.subject.data, form.body.data)
        return redirect(url_for("admin.test_send_result", outbound_id=row.id))
    return render_template("admin/test_send.html", form=form,
                           delivery=describe_delivery(delivery_settings()),
                           recent=recent_test_sends())


@bp.route("/email/test/<int:outbound_id>")
def test_send_result(outbound_id):
    row = find_test_send(outbound_id) or abort(404)
    return render_template("admin/test_send_result.html", report=report_test_send(row),
                           delivery=describe_delivery(delivery_settings()))


@bp.route("/email/test/<int:outbound_id>.json")
def test_send_status(outbound_id):
    row = find_test_send(outbound_id) or abort(404)
    return jsonify(report_test_send(row))
