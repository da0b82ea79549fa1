"""Forms of the sign-in pages and of the admin's own account."""
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, EqualTo, Length

from ..form_fields import PlainText

PASSWORD_MIN = 10


def _new_password_fields(label):
    return (PasswordField(label, validators=[
                DataRequired(), Length(min=PASSWORD_MIN,
                                       message=f"Use at least {PASSWORD_MIN} characters.")]),
            PasswordField("Repeat it", validators=[
                DataRequired(), EqualTo("password", message="The two passwords differ.")]))


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), PlainText()])
    password = PasswordField("Password", validators=[DataRequired()])


class ForgotPasswordForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), PlainText()])


class ResetPasswordForm(FlaskForm):
    password, confirm = _new_password_fields("New password")


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField("Current password", validators=[DataRequired()])
    password, confirm = _new_password_fields("New password")
