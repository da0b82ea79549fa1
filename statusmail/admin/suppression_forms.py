"""Forms for the suppression list and the SendGrid event webhook's key."""
from flask_wtf import FlaskForm
from wtforms import SearchField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from ..form_fields import PlainText
from ..models.suppressions import SUPPRESSION_REASONS, SUPPRESSION_SOURCES
from ..services.deliverability.signature import KEY_TEXT_MAX, InvalidKey, load_public_key
from ..services.validation import InvalidEmail, normalize_email

SHOW_CHOICES = (("active", "Active"), ("lifted", "Lifted"), ("all", "All"))


class SuppressionFilterForm(FlaskForm):
    """Read from the query string (a GET form: no CSRF token, a shareable URL)."""

    class Meta:
        csrf = False

    q = SearchField("Address contains", validators=[Length(max=254)])
    reason = SelectField("Reason", choices=[SelectChoice("", "Any reason")] + [
        SelectChoice(name, label) for name, label in SUPPRESSION_REASONS.items()], default="")
    source = SelectField("Source", choices=[SelectChoice("", "Any source")] + [
        SelectChoice(name, label) for name, label in SUPPRESSION_SOURCES.items()], default="")
    show = SelectField("Show", choices=[SelectChoice(v, label) for v, label in SHOW_CHOICES],
                       default="active")

    def values(self):
        """The filters, valid or not, as safe query arguments."""
        pick = lambda value, allowed, default: value if value in allowed else default  # noqa: E731
        return {"q": (self.q.data or "").strip()[:254],
                "reason": pick(self.reason.data, SUPPRESSION_REASONS, ""),
                "source": pick(self.source.data, SUPPRESSION_SOURCES, ""),
                "show": pick(self.show.data, dict(SHOW_CHOICES), "active")}


class AddSuppressionForm(FlaskForm):
    email = StringField("Address", validators=[DataRequired("Enter an address."),
                                               Length(max=254)])
    detail = StringField("Why (kept with the entry)",
                         validators=[Optional(), Length(max=500), PlainText()])

    def validate_email(self, field):
        try:
            field.data = normalize_email(field.data)
        except InvalidEmail as exc:
            raise ValidationError(str(exc)) from None


class LiftSuppressionForm(FlaskForm):
    note = StringField("Why it is lifted (optional)",
                       validators=[Optional(), Length(max=500), PlainText()])


class WebhookKeyForm(FlaskForm):
    public_key = TextAreaField(
        "Verification key", validators=[Optional(), Length(max=KEY_TEXT_MAX),
                                        PlainText(multi_line=True)],
        description="SendGrid → Settings → Mail Settings → Event Webhook → Signature "
                    "verification: the public key it shows. Leave empty to turn the webhook off.")

    def validate_public_key(self, field):
        if field.data and field.data.strip():
            try:
                load_public_key(field.data)
            except InvalidKey as exc:
                raise ValidationError(str(exc)) from None
