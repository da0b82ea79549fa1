"""Log in and log out. The session lives on the server (services/security/sessions.py);
failed attempts are throttled per client and account (services/security/throttle.py)."""
from urllib.parse import urlsplit

from flask import flash, g, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from ..extensions import db, login_manager
from ..models import utcnow
from ..wording import count_of
from ..services.security import sessions, throttle
from ..services.security.accounts import authenticate, normalise_email
from . import bp
from .auth_forms import LoginForm
from .security_notes import client_ip, note, tried_address

login_manager.login_view = "admin.login"
login_manager.login_message = "Log in to see that page."
login_manager.session_protection = "strong"

SESSION_ENDED = {
    "idle": "Your session ended after {idle} without activity. Log in again.",
    "expired": "Your session ended {hours} after you logged in. Log in again.",
    "password changed": "Your password was changed, which ended this session. Log in again.",
    "deactivated": "An owner deactivated your account, which ended this session.",
}


@login_manager.user_loader
def load_user(session_key):
    user, why = sessions.resume_session(session_key)
    if why:
        g.session_ended = why
    return user


def session_ended_message(config):
    why = g.get("session_ended")
    if why is None:
        return None
    return SESSION_ENDED[why].format(idle=count_of(config["SESSION_IDLE_MINUTES"], "minute"),
                                     hours=count_of(config["SESSION_MAX_HOURS"], "hour"))


def begin_session(user):
    """A fresh session for this browser: everything the old cookie held goes (including
    the CSRF token, so a token seen before login is worthless after it) and a new
    server-side session key is issued. A session this browser already had ends too."""
    if current_user.is_authenticated:
        sessions.end_session(current_user.session_key)
    session.clear()
    g.pop("csrf_token", None)  # Flask-WTF caches the token of this request here
    user.session_key = sessions.start_session(user, client_ip())
    login_user(user)


def throttled_page(throttled, action):
    """429 in the admin layout, saying how long to wait, with the same words every time."""
    response = render_template("admin/throttled.html", action=action, scope=throttled.scope,
                               wait=human_duration(throttled.retry_after))
    return response, 429, {"Retry-After": str(throttled.retry_after)}


def human_duration(seconds):
    if seconds < 90:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = -(-seconds // 60)
    if minutes < 90:
        return f"{minutes} minutes"
    return f"{-(-minutes // 60)} hours"


def _safe_next(target):
    """Only local paths: an open redirect would make our login page a phishing tool."""
    if target and urlsplit(target).netloc == "" and target.startswith("/") \
            and not target.startswith("//"):
        return target
    return url_for("admin.index")


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        email = normalise_email(form.email.data)
        throttled = throttle.admit_signin(client_ip(), email)
        if throttled:
            if throttled.first:
                note("login_throttled", actor_email=tried_address(email), scope=throttled.scope,
                     retry_after=throttled.retry_after)
            return throttled_page(throttled, "sign-in")
        user = authenticate(email, form.password.data)
        if user is None:
            note("login_failed", actor_email=tried_address(email))
            flash("That email and password do not match an admin account.", "error")
        elif not user.is_active:
            # Said only to whoever knows the password: the account's owner.
            note("login_refused_deactivated", "Sign-in with the right password refused: "
                 "the account is deactivated", actor=user)
            flash("This account is deactivated. Ask an owner of this site to reactivate it.",
                  "error")
        else:
            throttle.signin_succeeded(client_ip(), email)
            user.last_login_at = utcnow()
            db.session.commit()
            begin_session(user)
            note("login_succeeded", actor=user)
            return redirect(_safe_next(request.args.get("next")))
    return render_template("admin/login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout():
    note("logout")
    sessions.end_session(current_user.session_key)
    logout_user()
    session.clear()
    flash("You are logged out.", "info")
    return redirect(url_for("admin.login"))
