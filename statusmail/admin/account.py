"""The signed-in admin's own account: change the password (which ends every other
session of theirs; this browser carries on under a new one)."""
from flask import flash, redirect, render_template, url_for
from flask_login import current_user

from ..services.security import throttle
from ..services.security.accounts import set_admin_password
from . import bp
from .auth import begin_session, throttled_page
from .auth_forms import ChangePasswordForm
from .security_notes import client_ip, note


@bp.route("/account/password", methods=["GET", "POST"])
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        # The current password is guessed here as on the login page: same throttle.
        throttled = throttle.admit_signin(client_ip(), user.email)
        if throttled:
            if throttled.first:
                note("login_throttled", scope=throttled.scope, retry_after=throttled.retry_after,
                     page="change password")
            return throttled_page(throttled, "password change")
        if not user.check_password(form.current_password.data):
            note("login_failed", page="change password")
            form.current_password.errors = ["That is not your current password."]
        else:
            throttle.signin_succeeded(client_ip(), user.email)
            set_admin_password(user, form.password.data)
            begin_session(user)
            note("password_changed", actor=user)
            flash("Your password is changed. Every other session of yours is logged out.",
                  "success")
            return redirect(url_for("admin.index"))
    return render_template("admin/change_password.html", form=form)
