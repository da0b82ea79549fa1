"""Forms for the mail templates page: one kind's subject/intro/footer, and the branding.

They check shape (length, control characters); whether a template renders is the
service's to say (``services.mail_templates``), and its message goes on the field."""
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from ..form_fields import PlainText
from ..i18n import available_languages, language_choices
from ..models.mail_customizations import MARKDOWN_SOURCE_MAX, SUBJECT_SOURCE_MAX
from ..services.mail_templates.branding import LOGO_URL_MAX


def strip(value):
    return value.strip() if isinstance(value, str) else value


class MailTemplateForm(FlaskForm):
    subject = StringField(
        "Subject", filters=[strip],
        validators=[Length(max=SUBJECT_SOURCE_MAX), PlainText()],
        description="Empty: statusmail's own subject. Variables in {{ }}, e.g. "
                    "[{{ page_name }}] {{ title }}.")
    intro = TextAreaField(
        "Intro (Markdown)", filters=[strip],
        validators=[Length(max=MARKDOWN_SOURCE_MAX), PlainText(multi_line=True)],
        description="Shown above the notice. Markdown; the same variables may be used.")
    footer = TextAreaField(
        "Footer (Markdown)", filters=[strip],
        validators=[Length(max=MARKDOWN_SOURCE_MAX), PlainText(multi_line=True)],
        description="Shown above the manage and unsubscribe links, which always stay.")


class BrandingForm(FlaskForm):
    status_page_name = StringField(
        "Status page name", filters=[strip],
        validators=[DataRequired("Enter a name for the status page."), Length(max=120),
                    PlainText()],
        description="The name every mail shows and signs with (also under Email settings).")
    logo_url = StringField(
        "Logo URL", filters=[strip], validators=[Length(max=LOGO_URL_MAX), PlainText()],
        description="https:// only; shown instead of the name at the top of every mail "
                    "(about 40 px high). Empty: the name.")
    language = SelectField(
        "Language", validate_choice=False,
        description="Of the status page and of every mail to subscribers. Languages appear "
                    "here once their catalogue is in the translations directory (see README, "
                    "Translating).")
    accent_color = StringField(
        "Accent colour", filters=[strip], validators=[Length(max=7), PlainText()],
        description="#rrggbb, for buttons and links in the mail. Empty: #2563eb.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.language.choices = language_choices()

    def validate_language(self, field):
        if field.data not in available_languages():
            raise ValidationError("Choose a language from the list: there is no catalogue for "
                                  f"“{field.data}” in the translations directory.")
