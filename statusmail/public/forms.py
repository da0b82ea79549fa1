"""Forms of the public subscriber pages."""
from urllib.parse import urlsplit

from flask import current_app, request
from flask_babel import gettext, lazy_gettext
from flask_wtf import FlaskForm
from itsdangerous import BadData, URLSafeTimedSerializer
from wtforms import BooleanField, EmailField, RadioField, SelectMultipleField, StringField
from wtforms.csrf.core import CSRF
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from ..services.validation import InvalidEmail, normalize_email, translated_problem

WIDGET_FORM_MAX_AGE = 24 * 3600


class SubscribeForm(FlaskForm):
    email = EmailField(lazy_gettext("Email address"),
                       render_kw={"autocomplete": "email", "required": True,
                                  "placeholder": "you@example.com"})
    # Honeypot: hidden from people by CSS, filled in by bots that fill in everything.
    website = StringField(lazy_gettext("Leave this field empty"),
                          render_kw={"autocomplete": "off", "tabindex": "-1"})

    def validate_email(self, field):
        try:
            self.normalized_email = normalize_email(field.data)
        except InvalidEmail as exc:
            raise ValidationError(translated_problem(exc)) from None

    @property
    def filled_by_bot(self):
        return bool((self.website.data or "").strip())


class OriginCheckedCSRF(CSRF):
    """CSRF protection that needs no cookie, for the widget inside another site's frame.

    Browsers withhold our SameSite session cookie from a cross-site frame, so the usual
    session-bound token cannot work there. The form is ours, so its POST carries our own
    Origin; a forged form on another site carries that site's. The signed token, valid
    one day, keeps out posts that never loaded the form.
    """

    def setup_form(self, form):
        self.serializer = URLSafeTimedSerializer(current_app.config["SECRET_KEY"],
                                                 salt="statusmail.widget-form")
        return super().setup_form(form)

    def generate_csrf_token(self, csrf_token_field):
        return self.serializer.dumps("subscribe")

    def validate_csrf_token(self, form, field):
        try:
            self.serializer.loads(field.data or "", max_age=WIDGET_FORM_MAX_AGE)
        except BadData:
            raise ValidationError(
                gettext("This form has expired. Reload the page and try again.")) from None
        origin = request.headers.get("Origin")
        if origin is not None and urlsplit(origin).netloc not in _own_hosts():
            raise ValidationError(gettext("This form was sent from another site."))


def _own_hosts():
    return {request.host, urlsplit(current_app.config["STATUSMAIL_BASE_URL"]).netloc}


class WidgetSubscribeForm(SubscribeForm):
    class Meta:
        csrf_class = OriginCheckedCSRF


class ManageLinkForm(WidgetSubscribeForm):
    """"Email me my manage link": no session cookie either, so that it sits in the cached
    status page (the same bytes for everyone) and in the widget's frame."""


class ActionForm(FlaskForm):
    """A button with a CSRF token: confirm, resend, unsubscribe."""


class PreferencesForm(FlaskForm):
    scope = RadioField(lazy_gettext("Components"), default="all", choices=[
        SelectChoice("all", lazy_gettext("All components, including ones added later")),
        SelectChoice("selected", lazy_gettext("Only the components I choose")),
    ])
    components = SelectMultipleField(lazy_gettext("Components"), coerce=int, choices=[],
                                     widget=ListWidget(prefix_label=False),
                                     option_widget=CheckboxInput())
    notify_incidents = BooleanField(
        lazy_gettext("Incidents: when one starts, its updates, its resolution"))
    notify_maintenance = BooleanField(
        lazy_gettext("Maintenance: when it is scheduled, starts and ends"))
    notify_component_changes = BooleanField(lazy_gettext("Component status changes"))

    def validate_components(self, field):
        if self.scope.data == "selected" and not field.data:
            raise ValidationError(
                gettext("Choose at least one component, or choose all components."))

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        if not (self.notify_incidents.data or self.notify_maintenance.data
                or self.notify_component_changes.data):
            self.form_errors.append(gettext("Choose at least one kind of notice. "
                                            "To stop all mail, unsubscribe below."))
            valid = False
        return valid
