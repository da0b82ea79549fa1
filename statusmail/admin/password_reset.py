"""Forgot password: a signed, single-use link valid one hour. Requests are throttled per
client and address, and reset mails capped per account, without the page ever answering
differently for an address that has no account."""
from flask import flash, redirect, render_template, url_for

from ..extensions import db
from ..models import AdminUser
from ..services.outbox import queue_outbound
from ..services.security import throttle
from ..services.security.accounts import normalise_email, set_admin_password
from ..tokens import TokenExpired, TokenInvalid, read_token
from . import bp
from .auth import throttled_page
from .auth_forms import ForgotPasswordForm, ResetPasswordForm
from .security_notes import client_ip, note, tried_address


@bp.route("/forgot-password", methods=["GET", "POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        email = normalise_email(form.email.data)
        throttled = throttle.admit_reset_request(client_ip(), email)
        if throttled:
            if throttled.first:
                note("password_reset_throttled", actor_email=tried_address(email),
                     scope=throttled.scope, retry_after=throttled.retry_after)
            return throttled_page(throttled, "password reset")
        user = AdminUser.query.filter_by(email=email).one_or_none()
        if user is not None and user.is_active:
            mail_sent = throttle.may_send_reset_mail(email)
            if mail_sent:
                queue_outbound("password_reset", user.email, admin_user_id=user.id)
            note("password_reset_requested", actor=user, mail_sent=mail_sent)
        # The same answer either way: the form must not reveal who has an account.
        flash("If that address belongs to an admin, a reset link is on its way. "
              "It works once, for one hour.", "info")
        return redirect(url_for("admin.login"))
    return render_template("admin/forgot_password.html", form=form)


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
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
    if not user.is_active:
        return _bad_reset_link("This account is deactivated. Ask an owner to reactivate it.")
    form = ResetPasswordForm()
    if form.validate_on_submit():
        set_admin_password(user, form.password.data)
        note("password_reset_completed", actor=user)
        flash("Your password is changed and every session of yours is logged out. "
              "Log in with the new one.", "info")
        return redirect(url_for("admin.login"))
    return render_template("admin/reset_password.html", form=form)


def _bad_reset_link(message):
    return render_template("admin/reset_password_invalid.html", message=message), 400
