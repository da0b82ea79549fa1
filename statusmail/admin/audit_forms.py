"""Forms of the audit log page: the filters (a GET form), the export (the filters,
posted: an export is itself an audit entry) and the log's retention."""
from datetime import date

from flask_wtf import FlaskForm
from wtforms import DateField, SearchField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from ..form_fields import PlainText, WholeNumberField
from ..services.audit_log import RETENTION_MAX_DAYS, AuditFilters, kinds

ACTOR_MAX = 254
# Before this nothing was logged; an earlier date is a typo (and year 1 overflows a zone shift).
EARLIEST = date(2000, 1, 1)
LATEST = date(9998, 12, 31)


def _in_range(form, field):
    if field.data is not None and not EARLIEST <= field.data <= LATEST:
        raise ValidationError(f"Pick a date between {EARLIEST.year} and {LATEST.year}.")


class AuditFilterForm(FlaskForm):
    """Read from the query string: a GET form needs no CSRF token and keeps its URL shareable."""

    class Meta:
        csrf = False

    actor = SearchField("Who", validators=[Length(max=ACTOR_MAX), PlainText()],
                        description="An admin's address, an API token's name, or “system”.")
    kind = SelectField("What", choices=[SelectChoice("", "Any kind")], default="",
                       validate_choice=False)
    since = DateField("From", validators=[Optional(), _in_range])
    until = DateField("Until", validators=[Optional(), _in_range])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = [SelectChoice("", "Any kind"),
                             *(SelectChoice(kind, label) for kind, label in kinds())]

    def filters(self):
        """The filters that are valid (a field in error is left out, and says why)."""
        self.validate()
        known = {kind for kind, _ in kinds()}
        since = self.since.data if not self.since.errors else None
        until = self.until.data if not self.until.errors else None
        if since and until and since > until:
            self.until.errors = [*self.until.errors, "“Until” comes before “From”."]
            until = None
        return AuditFilters(
            actor="" if self.actor.errors else (self.actor.data or "").strip()[:ACTOR_MAX],
            kind=self.kind.data if self.kind.data in known else "",
            since=since, until=until)


class AuditExportForm(FlaskForm):
    """The CSRF token; the page's filters come along as hidden fields, read by
    :class:`AuditFilterForm`."""


class AuditSettingsForm(FlaskForm):
    audit_retention_days = WholeNumberField(
        "Keep the audit log for (days)",
        validators=[InputRequired("Enter a number of days (0 keeps the log for ever)."),
                    NumberRange(0, RETENTION_MAX_DAYS,
                                f"Keep it between 0 and {RETENTION_MAX_DAYS} days.")],
        description="Older entries are deleted every hour. 0 keeps them for ever.")
