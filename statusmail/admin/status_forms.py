"""Forms for components, incidents, maintenance and API tokens, and the two helpers
their views share.

They check the shape of the input; the services check the rules (and raise
``StatusError`` naming a field, which ``show_error`` puts next to that field).
"""
from flask import flash
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField, DateTimeLocalField, SelectField, SelectMultipleField, StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from ..form_fields import PlainText, WholeNumberField
from ..models.status import COMPONENT_STATUSES, INCIDENT_IMPACTS, INCIDENT_STATUSES
from ..services.incidents import AFFECTED_STATUSES, OPEN_STATUSES
from ..services.maintenance.stages import REMINDER_MINUTES_MAX

NOTIFY_HELP = "Send an email to subscribers (when notifications are on in the Overview)."
# What browsers send for <input type="datetime-local"> (with or without seconds).
LOCAL_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]
WHEN_MESSAGE = "Enter a date and time, e.g. 2030-06-01 14:30."
MARKDOWN_HELP = ("Markdown: **bold**, *italic*, [a link](https://example.com), "
                 "- lists, `code`. Raw HTML shows as text.")
# static/admin.js shows how the text will read under every field marked so.
MARKDOWN_FIELD = {"data-markdown-preview": "on"}


def choices(labels, keys=None):
    """``<option>``s for ``keys`` (default: all) of a ``{value: label}`` mapping."""
    return [SelectChoice(key, labels[key]) for key in (keys or labels)]


def notify_field():
    return BooleanField("Notify subscribers", default=True, description=NOTIFY_HELP)


def show_error(form, error):
    """Put a service's ``StatusError`` next to its field, or at the top of the page."""
    field = getattr(form, error.field, None)
    if field is not None and hasattr(field, "errors"):
        field.errors = [*field.errors, error.message]
    else:
        flash(error.message, "error")


def notice_note(notify, notification):
    """How a flash message ends: whether subscribers are being told, and if not, why."""
    if notification is not None:
        return "; subscribers are being notified."
    if notify:
        return ". No notice was sent: email notifications are off (see Overview)."
    return "; subscribers were not notified."


class ActionForm(FlaskForm):
    """A button that changes state (revoke, cancel, delete): a POST with a CSRF token."""


class ComponentDetailsForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired("Give the component a name."),
                                           Length(max=120), PlainText()])
    group_name = StringField("Group", validators=[Optional(), Length(max=120), PlainText()],
                             description="Components with the same group are shown together "
                                         "on the status page. Leave empty for none.")
    description = TextAreaField("Description", validators=[Optional(), Length(max=2000),
                                                           PlainText(multi_line=True)],
                                description="Shown on the status page under the name.")
    position = WholeNumberField("Display order", default=0, validators=[Optional()],
                            description="Lower numbers are listed first.")


class NewComponentForm(ComponentDetailsForm):
    status = SelectField("Status", choices=choices(COMPONENT_STATUSES),
                         default="operational")


class ComponentStatusForm(FlaskForm):
    status = SelectField("Status", choices=choices(COMPONENT_STATUSES))
    notify = notify_field()


_AFFECTED_CHOICES = [SelectChoice("", "Not affected"),
                     *choices(COMPONENT_STATUSES, AFFECTED_STATUSES)]


class IncidentDetailsForm(FlaskForm):
    """Title and impact: chosen when opening an incident, correctable later (silently)."""
    title = StringField("Title", validators=[DataRequired("Give the incident a title."),
                                             Length(max=200), PlainText()])
    impact = SelectField("Impact", choices=choices(INCIDENT_IMPACTS), default="minor")


class _IncidentFormBase(IncidentDetailsForm):
    status = SelectField("Status", choices=choices(INCIDENT_STATUSES, OPEN_STATUSES))
    message = TextAreaField("First update", validators=[
        DataRequired("Write what is happening; it is the first entry of the timeline."),
        PlainText(multi_line=True)], description=MARKDOWN_HELP, render_kw=MARKDOWN_FIELD)
    notify = notify_field()

    def component_fields(self):
        return [field for field in self if field.name.startswith("component_")]

    def affected(self):
        """``[(component_id, status), …]`` for the components marked affected."""
        return [(int(field.name.removeprefix("component_")), field.data)
                for field in self.component_fields() if field.data]


def _component_selects(components):
    return {f"component_{component.id}": SelectField(component.name, choices=_AFFECTED_CHOICES,
                                                     default="")
            for component in components}


def new_incident_form(components, **data):
    """One select per component: whether the incident affects it, and how (``data``:
    starting values, e.g. from a template)."""
    return type("NewIncidentForm", (_IncidentFormBase,), _component_selects(components))(**data)


class _TemplateFormBase(IncidentDetailsForm):
    name = StringField("Template name", validators=[DataRequired("Give the template a name."),
                                                    Length(max=120), PlainText()],
                       description="What the operator picks it by, e.g. “Database down”.")
    message = TextAreaField("First update", validators=[Optional(), PlainText(multi_line=True)],
                            description=MARKDOWN_HELP, render_kw=MARKDOWN_FIELD)

    component_fields = _IncidentFormBase.component_fields
    affected = _IncidentFormBase.affected


def incident_template_form(components, **data):
    return type("IncidentTemplateForm", (_TemplateFormBase,), _component_selects(components))(
        **data)


class _BackfillFormBase(IncidentDetailsForm):
    message = TextAreaField("Summary", validators=[Optional(), PlainText(multi_line=True)],
                            description="What happened, for the history (leave empty for "
                                        "“This incident has been resolved.”). " + MARKDOWN_HELP,
                            render_kw=MARKDOWN_FIELD)
    started_at = DateTimeLocalField("Started", format=LOCAL_FORMATS,
                                    invalid_value_message=WHEN_MESSAGE)
    resolved_at = DateTimeLocalField("Resolved", format=LOCAL_FORMATS,
                                     invalid_value_message=WHEN_MESSAGE)

    component_fields = _IncidentFormBase.component_fields
    affected = _IncidentFormBase.affected

    def set_zone(self, zone_name, latest):
        """Times are in the status page's zone; none can be later than ``latest`` (now)."""
        for field in (self.started_at, self.resolved_at):
            field.description = f"In {zone_name}, the status page's time zone."
            field.render_kw = {"max": latest.strftime("%Y-%m-%dT%H:%M")}


def backfill_incident_form(components):
    """Like :func:`new_incident_form`: one select per component it affected."""
    return type("BackfillIncidentForm", (_BackfillFormBase,), _component_selects(components))()


class PublishDraftForm(FlaskForm):
    notify = notify_field()


class IncidentUpdateForm(FlaskForm):
    status = SelectField("Status", choices=choices(INCIDENT_STATUSES))
    message = TextAreaField("Message", validators=[DataRequired("Write the update."),
                                                   PlainText(multi_line=True)],
                            description=MARKDOWN_HELP, render_kw=MARKDOWN_FIELD)
    notify = notify_field()


class ResolveIncidentForm(FlaskForm):
    message = TextAreaField("Closing message", validators=[Optional(),
                                                           PlainText(multi_line=True)],
                            description="Leave empty for “This incident has been resolved.” "
                                        + MARKDOWN_HELP, render_kw=MARKDOWN_FIELD)
    notify = notify_field()


class MaintenanceForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired("Give the maintenance a title."),
                                             Length(max=200), PlainText()])
    description = TextAreaField("Description", validators=[Optional(),
                                                           PlainText(multi_line=True)],
                                description="What happens and what people will notice. "
                                            + MARKDOWN_HELP, render_kw=MARKDOWN_FIELD)
    starts_at = DateTimeLocalField("Starts", format=LOCAL_FORMATS,
                                   invalid_value_message=WHEN_MESSAGE)
    ends_at = DateTimeLocalField("Ends", format=LOCAL_FORMATS,
                                 invalid_value_message=WHEN_MESSAGE)
    component_ids = SelectMultipleField("Affected components", coerce=int,
                                        widget=ListWidget(prefix_label=False),
                                        option_widget=CheckboxInput())
    notify = BooleanField("Notify subscribers", default=True,
                          description="Mail subscribers about this window at the stages "
                                      "ticked below, when it moves, and if it is cancelled.")
    notify_scheduled = BooleanField("Announce it when it is scheduled")
    notify_reminder = BooleanField("Remind subscribers before it starts")
    reminder_minutes = WholeNumberField(
        "Reminder lead time (minutes)",
        validators=[Optional(),
                    NumberRange(0, REMINDER_MINUTES_MAX,
                                f"Use 0 to {REMINDER_MINUTES_MAX:,} minutes (a week).")],
        description="How long before the start the reminder goes out; 0 sends none. Left "
                    "empty: the default from Email settings (or, editing, unchanged).")
    notify_started = BooleanField("Announce it when it starts")
    notify_completed = BooleanField("Announce it when it is completed")

    def set_zone(self, zone_name):
        for field in (self.starts_at, self.ends_at):
            field.description = f"In {zone_name}, the status page's time zone."


class MaintenanceUpdateForm(FlaskForm):
    message = TextAreaField("Message", validators=[
        DataRequired("Write the update, e.g. “The work is taking longer than planned.”"),
        PlainText(multi_line=True)], description=MARKDOWN_HELP, render_kw=MARKDOWN_FIELD)
    notify = notify_field()


class CancelMaintenanceForm(FlaskForm):
    notify = BooleanField("Tell subscribers it is cancelled", default=True,
                          description="Those who were told it is coming get a mail saying "
                                      "it is called off.")


class ApiTokenForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired("Give the token a name."),
                                           Length(max=120), PlainText()],
                       description="What will use it, e.g. “monitoring” or “deploy script”.")
