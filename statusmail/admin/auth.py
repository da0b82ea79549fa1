"""Log in, log out, and reset a forgotten password by a signed, single-use link."""
from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, url_for
from flask_login import login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, EqualTo, Length

from ..extensions import db, limiter, login_manager
from ..models import AdminUser, utcnow
from ..services.outbox import queue_outbound
from ..tokens import TokenExpired, TokenInvalid, read_token
from . import bp

login_manager.login_view = "admin.login"
login_manager.login_message = "Log in to see that page."
login_manager.session_protection = "strong"


@login_manager.user_loader
def load_user(session_token):
    return AdminUser.query.filter_by(session_token=session_token).one_or_none()


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired()])
    password = PasswordField("Password", validators=[DataRequired()])


class ForgotPasswordForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired()])


class ResetPasswordForm(FlaskForm):
    password = PasswordField("New password", validators=[
        DataRequired(), Length(min=10, message="Use at least 10 characters.")])
    confirm = PasswordField("Repeat it", validators=[
        DataRequired(), EqualTo("password", message="The two passwords differ.")])


def _email_key():
    return "addr:" + (request.form.get("email") or "").strip().lower()


def _safe_next(target):
    """Only local paths: an open redirect would make our login page a phishing tool."""
    if target and urlsplit(target).netloc == "" and target.startswith("/") \
            and not target.startswith("//"):
        return target
    return url_for("admin.index")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("10/minute;50/hour", methods=["POST"])
@limiter.limit("10/hour", methods=["POST"], key_func=_email_key)
def login():
    form = LoginForm()
    if form.validate_on_submit():
        user = AdminUser.query.filter_by(email=form.email.data.strip().lower()).one_or_none()
        if user is not None and user.check_password(form.password.data):
            user.last_login_at = utcnow()
            db.session.commit()
            login_user(user)
            return redirect(_safe_next(request.args.get("next")))
        flash("That email and password do not match an admin account.", "error")
    return render_template("admin/login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout():
    logout_user()
    flash("You are logged out.", "info")
    return redirect(url_for("admin.login"))


@bp.route("/forgot-password", methods=["GET", "POST"])
@limiter.limit("5/minute;20/hour", methods=["POST"])
@limiter.limit("3/hour", methods=["POST"], key_func=_email_key)
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        user = AdminUser.query.filter_by(email=form.email.data.strip().lower()).one_or_none()
        if user is not None:
            queue_outbound("password_reset", user.email, admin_user_id=user.id)
        # The same answer either way: the form must not reveal who has an account.
        flash("If that address belongs to an admin, a reset link is on its way. "
              "It works once, for one hour.", "info")
        return redirect(url_for("admin.login"))
    return render_template("admin/forgot_password.html", form=form)


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
@limiter.limit("10/minute", methods=["POST"])
def reset_password(token):
    try:
        payload = read_token("password-reset", token)
    except TokenExpired:
        return _bad_reset_link("This reset link has expired (links work for one hour).")
    except TokenInvalid:
        return _bad_reset_link("This reset link is not valid. Copy the whole link from the mail.")
    user = db.session.get(AdminUser, payload.get("uid"))
    if user is None or user.password_fingerprint() != payload.get("pw"):
        return _bad_reset_link("This reset link has already been used.")
    form = ResetPasswordForm()
    if form.validate_on_submit():
        user.set_password(form.password.data)
        db.session.commit()
        flash("Your password is changed. Log in with the new one.", "info")
        return redirect(url_for("admin.login"))
    return render_template("admin/reset_password.html", form=form)


def _bad_reset_link(message):
    return render_template("admin/reset_password_invalid.html", message=message), 400
