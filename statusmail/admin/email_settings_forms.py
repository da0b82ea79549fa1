"""Forms for Email settings and Test send. They validate and normalise; saving is
:mod:`statusmail.services.email_settings`'s job."""
import ipaddress
import re

from flask_wtf import FlaskForm
from wtforms import (BooleanField, EmailField, PasswordField, RadioField, StringField,
                     TextAreaField)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, NumberRange, StopValidation, ValidationError

from ..form_fields import PlainText, WholeNumberField
from ..mail.addresses import credential_problem
from ..mail.list_id import clean_list_id, list_id_problem
from ..services.maintenance.stages import REMINDER_MINUTES_MAX
from ..services.timezones import is_valid_zone
from ..services.validation import InvalidEmail, normalize_email

_HOST_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$", re.IGNORECASE)


def strip(value):
    return value.strip() if isinstance(value, str) else value


def required(message):
    """Like InputRequired, but quiet when the input was already refused as malformed."""
    def check(form, field):
        if field.errors:
            raise StopValidation()
        if field.data is None or field.data == "":
            raise StopValidation(message)
    return check


def optional_number(form, field):
    if field.data is None:
        raise StopValidation()


def email_address(form, field):
    if field.data:
        try:
            field.data = normalize_email(field.data)
        except InvalidEmail as exc:
            raise ValidationError(str(exc)) from None


def sendable_credential(label):
    """Refuse what the SMTP login (or SendGrid's header) cannot carry: it would fail
    every send, so say so now."""
    def check(form, field):
        problem = credential_problem(field.data, label)
        if problem:
            raise ValidationError(problem)
    return check


def host_name(form, field):
    value = field.data
    if not value:
        return
    if "://" in value:
        raise ValidationError("Enter only the host name, e.g. smtp.example.com, without "
                              "smtp:// or https://.")
    try:
        ipaddress.ip_address(value.strip("[]"))
        return
    except ValueError:
        pass
    if ":" in value:
        raise ValidationError("Put the port in the Port field, not after the host name.")
    labels = value.rstrip(".").split(".")
    if len(value) > 253 or not all(_HOST_LABEL.match(label) for label in labels):
        raise ValidationError("That is not a host name: use letters, digits, dots and hyphens, "
                              "e.g. smtp.example.com.")


def time_zone(form, field):
    if field.data and not is_valid_zone(field.data):
        raise ValidationError("Unknown time zone. Use a name from the list, such as "
                              "Europe/Berlin, America/New_York or UTC.")


def list_id(form, field):
    if field.data:
        problem = list_id_problem(field.data)
        if problem:
            raise ValidationError(problem)


PROVIDER_CHOICES = [SelectChoice("capture", "None: capture mail locally"),
                    SelectChoice("smtp", "SMTP server"), SelectChoice("sendgrid", "SendGrid API")]
SECURITY_CHOICES = [SelectChoice("starttls", "STARTTLS (usually port 587)"),
                    SelectChoice("ssl", "SSL/TLS (usually port 465)"),
                    SelectChoice("none", "None: plain text, only on a network you trust")]


# What STATUSMAIL_SMTP_URL / STATUSMAIL_SENDGRID_API_KEY and STATUSMAIL_MAIL_FROM decide.
DELIVERY_FIELDS = (
    "provider", "smtp_host", "smtp_port", "smtp_security", "smtp_username", "smtp_password",
    "remove_smtp_password", "smtp_timeout", "smtp_tls_unverified_host", "sendgrid_api_key",
    "remove_sendgrid_api_key", "from_address", "from_name", "reply_to",
)


class EmailSettingsForm(FlaskForm):
    status_page_name = StringField(
        "Status page name", filters=[strip],
        validators=[required("Enter a name for the status page."), Length(max=120), PlainText()],
        description="Shown on the status page, and in the subject of every mail.")
    timezone = StringField(
        "Operator time zone", filters=[strip],
        validators=[required("Enter a time zone."), PlainText(), time_zone],
        description="Times in the admin and in mails are shown in this zone, e.g. Europe/Berlin.")
    list_id = StringField(
        "List-Id", filters=[clean_list_id], validators=[PlainText(), list_id],
        description="Every notice carries it, so mail clients can filter them as one list, "
                    "e.g. status.example.com. Leave empty to use the host name of the "
                    "status page's address.")
    delivery_retention_days = WholeNumberField(
        "Keep the delivery log for (days)",
        validators=[required("Enter a number of days."),
                    NumberRange(1, 3650, "Keep it between 1 and 3650 days.")],
        description="Older per-subscriber delivery records are deleted.")

    maintenance_reminder_minutes = WholeNumberField(
        "Remind subscribers before maintenance (minutes)",
        validators=[required("Enter a number of minutes (0 for no reminders)."),
                    NumberRange(0, REMINDER_MINUTES_MAX,
                                f"Use 0 to {REMINDER_MINUTES_MAX:,} minutes (a week).")],
        description="The default lead time of a new window's reminder, e.g. 60; 0: no "
                    "reminders unless a window asks for one.")
    maintenance_notify_scheduled = BooleanField("Announce maintenance when it is scheduled")
    maintenance_notify_started = BooleanField("Announce maintenance when it starts")
    maintenance_notify_completed = BooleanField("Announce maintenance when it is completed")

    provider = RadioField("Delivery provider", choices=PROVIDER_CHOICES, default="capture")

    smtp_host = StringField("Host", filters=[strip], validators=[Length(max=255), host_name])
    smtp_port = WholeNumberField("Port", validators=[
        required("Enter a port."), NumberRange(1, 65535, "Enter a port from 1 to 65535.")])
    smtp_security = RadioField("Security", choices=SECURITY_CHOICES, default="starttls")
    smtp_username = StringField("Username", filters=[strip], validators=[
        Length(max=255), PlainText(), sendable_credential("username")])
    smtp_password = PasswordField("Password", validators=[
        Length(max=1000), sendable_credential("password")])
    remove_smtp_password = BooleanField("Remove the stored password")
    smtp_timeout = WholeNumberField("Timeout (seconds)", validators=[
        required("Enter a timeout."), NumberRange(1, 120, "Use 1 to 120 seconds.")])
    smtp_tls_unverified_host = StringField(
        "Self-signed certificate host", filters=[strip], validators=[Length(max=255), host_name])

    sendgrid_api_key = PasswordField("API key", filters=[strip], validators=[
        Length(max=1000), PlainText(), sendable_credential("API key")])
    remove_sendgrid_api_key = BooleanField("Remove the stored API key")

    from_address = EmailField("From address", filters=[strip], validators=[email_address])
    from_name = StringField("From name", filters=[strip], validators=[Length(max=120), PlainText()])
    reply_to = EmailField("Reply-To address", filters=[strip], validators=[email_address])

    rate_per_second = WholeNumberField("Messages per second", validators=[
        optional_number, NumberRange(1, 100000, "Enter at least 1, or leave it blank.")])
    rate_per_day = WholeNumberField("Messages per day", validators=[
        optional_number, NumberRange(1, 100000000, "Enter at least 1, or leave it blank.")])

    def __init__(self, *args, has_smtp_password=False, has_sendgrid_key=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.has_smtp_password = has_smtp_password
        self.has_sendgrid_key = has_sendgrid_key

    def leave_delivery_to_environment(self):
        """The environment fixes provider and sender: they are neither shown nor saved."""
        for name in DELIVERY_FIELDS:
            delattr(self, name)

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        if "provider" not in self:
            return valid
        checks = [
            (self.provider.data == "smtp" and not self.smtp_host.data, self.smtp_host,
             "Enter the SMTP server's host name."),
            (self.provider.data in ("smtp", "sendgrid") and not self.from_address.data
             and not self.from_address.errors, self.from_address,
             "Enter the address mail is sent from."),
            (self.provider.data == "sendgrid" and not self.sendgrid_api_key.data
             and (not self.has_sendgrid_key or self.remove_sendgrid_api_key.data),
             self.sendgrid_api_key, "Enter a SendGrid API key."),
            (self.smtp_password.data and self.remove_smtp_password.data, self.smtp_password,
             "Either type a new password or remove the stored one, not both."),
            (self.sendgrid_api_key.data and self.remove_sendgrid_api_key.data,
             self.sendgrid_api_key,
             "Either type a new API key or remove the stored one, not both."),
        ]
        for failed, field, message in checks:
            if failed:
                field.errors = [*field.errors, message]
                valid = False
        return valid


class TrialRecipientForm(FlaskForm):
    """Where "Test these settings" sends its mail. A form of its own inside the settings
    form: Save ignores it, so an address typed here can never stop settings from saving.
    The settings form's CSRF token covers both."""

    class Meta:
        csrf = False

    trial_recipient = EmailField("Send the test to", filters=[strip], validators=[
        required("Enter the address to send the test to."), email_address])


class TestSendForm(FlaskForm):
    recipient = EmailField("Send to", filters=[strip], validators=[
        required("Enter the address to send the test to."), email_address])
    subject = StringField("Subject", filters=[strip], default="Test mail from statusmail",
                          validators=[required("Enter a subject."), Length(max=200), PlainText()])
    body = TextAreaField("Message", default="If you can read this, Email settings work.",
                         validators=[required("Enter a message."), Length(max=10000),
                                     PlainText(multi_line=True)])
