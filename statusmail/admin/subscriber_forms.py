"""Forms for the subscriber pages: list filters, remove, resend confirmation, CSV import."""
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, EmailField, HiddenField, RadioField, SearchField, SelectField
from wtforms import TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, ValidationError

from ..form_fields import PlainText
from ..services.subscriber_additions import CONSENT_NOTE_MAX, consent_note_problem
from ..services.subscriber_admin import STATUS_FILTERS
from ..services.validation import InvalidEmail, normalize_email

CONSENT_HELP = ("How this person agreed to receive notices, kept in their history: "
                "“asked by phone 2026-12-01”, “signed up at the stand”.")


class SubscriberFilterForm(FlaskForm):
    """Read from the query string: a GET form needs no CSRF token and keeps its URL shareable."""

    class Meta:
        csrf = False

    q = SearchField("Search by address", validators=[Length(max=254)])
    status = SelectField("Status", choices=[SelectChoice(name, name.capitalize())
                                                   for name in STATUS_FILTERS],
                         default="all")

    def values(self):
        """The current filters, valid or not, as safe query arguments."""
        status = self.status.data if self.status.data in STATUS_FILTERS else "all"
        return {"q": (self.q.data or "").strip()[:254], "status": status}


class ActionForm(FlaskForm):
    """A button that changes something: CSRF plus where to go back to."""
    next = HiddenField()


class RemoveSubscriberForm(ActionForm):
    """The removal page is the one confirmation: it says what goes, its button removes
    (no box to tick, no browser dialog on top)."""


class ExportForm(FlaskForm):
    """The list's current filters, posted: starting an export writes a file."""
    # The search is stored with the export: the same text rule as every stored field.
    q = HiddenField(validators=[PlainText()])
    status = HiddenField()

    def values(self):
        status = self.status.data if self.status.data in STATUS_FILTERS else "all"
        return status, (self.q.data or "").strip()[:254]


class ImportForm(FlaskForm):
    file = FileField("CSV file", validators=[FileRequired(message="Choose a file to import.")],
                     description="One address per line, or a spreadsheet saved as CSV with an "
                                 "“email” column (an export from this page works).")
    mode = RadioField("New subscribers", default="send_confirmation", choices=[
        SelectChoice("send_confirmation", "Send each new address a confirmation mail; they "
                                          "get notifications once they confirm"),
        SelectChoice("mark_confirmed", "Mark them as confirmed, without a confirmation mail"),
    ])
    consent = BooleanField("I have the consent of the people in this file to send them "
                           "status notifications")

    def validate_consent(self, field):
        if self.mode.data == "mark_confirmed" and not field.data:
            raise ValidationError("To mark addresses as confirmed, confirm that you have these "
                                  "people's consent — or choose to send a confirmation mail.")


class ConsentNoteField(TextAreaField):
    def __init__(self, label="Consent note", **kwargs):
        super().__init__(label, description=CONSENT_HELP,
                         render_kw={"rows": 2, "maxlength": CONSENT_NOTE_MAX}, **kwargs)


class AddSubscriberForm(FlaskForm):
    email = EmailField("Email address", validators=[DataRequired("Enter an email address.")],
                       render_kw={"autocomplete": "off"})
    confirm = RadioField("Confirmation", default="send", choices=[
        SelectChoice("send", "Send a confirmation mail: they get notices once they confirm"),
        SelectChoice("skip", "Mark confirmed now, without a mail (needs a consent note)"),
    ])
    consent_note = ConsentNoteField()

    def validate_email(self, field):
        try:
            self.normalized_email = normalize_email(field.data)
        except InvalidEmail as exc:
            raise ValidationError(str(exc)) from None

    def validate_consent_note(self, field):
        if self.confirm.data == "skip":
            problem = consent_note_problem(field.data)
            if problem:
                raise ValidationError(problem)


class MarkConfirmedForm(ActionForm):
    consent_note = ConsentNoteField()

    def validate_consent_note(self, field):
        problem = consent_note_problem(field.data)
        if problem:
            raise ValidationError(problem)
