"""The signed-in admin's own account: change the password (which ends every other
session of theirs; this browser carries on under a new one) or the sign-in address.
Both ask for the current password, throttled as on the login page."""
from flask import flash, redirect, render_template, url_for
from flask_login import current_user

from ..services.security import throttle
from ..services.security.accounts import EmailUnavailable, change_admin_email, set_admin_password
from . import bp
from .auth import begin_session, throttled_page
from .auth_forms import ChangePasswordForm
from .team_forms import ChangeEmailForm
from .security_notes import client_ip, note


@bp.route("/account/password", methods=["GET", "POST"])
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        refused = _check_current_password(user, form, "change password", "password change")
        if refused:
            return refused
        if not form.current_password.errors:
            set_admin_password(user, form.password.data)
            begin_session(user)
            note("password_changed", actor=user)
            flash("Your password is changed. Every other session of yours is logged out.",
                  "success")
            return redirect(url_for("admin.index"))
    return render_template("admin/change_password.html", form=form)


@bp.route("/account/email", methods=["GET", "POST"])
def change_email():
    form = ChangeEmailForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        refused = _check_current_password(user, form, "change email", "address change")
        if refused:
            return refused
        if not form.current_password.errors:
            try:
                old = change_admin_email(user, form.email.data)
            except EmailUnavailable as exc:
                form.email.errors = [str(exc)]
            else:
                if old != user.email:
                    note("email_changed", f"Changed the sign-in address from {old} to "
                         f"{user.email}", actor=user, old_email=old)
                    flash(f"Your sign-in address is now {user.email}.", "success")
                else:
                    flash(f"Your sign-in address stays {user.email}.", "info")
                return redirect(url_for("admin.index"))
    return render_template("admin/change_email.html", form=form)


def _check_current_password(user, form, page, action):
    """The current password is guessed here as on the login page: the same throttle. A
    429 page when throttled; a wrong password leaves an error on the form."""
    throttled = throttle.admit_signin(client_ip(), user.email)
    if throttled:
        if throttled.first:
            note("login_throttled", scope=throttled.scope, retry_after=throttled.retry_after,
                 page=page)
        return throttled_page(throttled, action)
    if not user.check_password(form.current_password.data):
        note("login_failed", page=page)
        form.current_password.errors = ["That is not your current password."]
    else:
        throttle.signin_succeeded(client_ip(), user.email)
    return None
