"""Forms of the Users page, the invitation page and the admin's own address."""
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired

from ..form_fields import PlainText
from ..models.users import ROLE_LABELS, ROLES
from .auth_forms import _new_password_fields

ROLE_CHOICES = [SelectChoice(role, ROLE_LABELS[role]) for role in reversed(ROLES)]
ROLE_NAMES = [(role, role.capitalize()) for role in reversed(ROLES)]


class InviteForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired("Enter the address to invite."),
                                            PlainText()])
    role = SelectField("Role", choices=ROLE_CHOICES, default="editor")


class RoleForm(FlaskForm):
    role = SelectField("Role", choices=[SelectChoice(value, label) for value, label in ROLE_NAMES])


class AcceptInvitationForm(FlaskForm):
    password, confirm = _new_password_fields("Choose a password")


class ChangeEmailForm(FlaskForm):
    email = EmailField("New email address", validators=[DataRequired(), PlainText()])
    current_password = PasswordField("Current password", validators=[DataRequired()])
