"""Forms for the subscriber pages: list filters, remove, resend confirmation, CSV import."""
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, HiddenField, RadioField, SearchField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, ValidationError

from ..form_fields import PlainText
from ..services.subscriber_admin import STATUS_FILTERS


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
