"""Checking and setting an admin's password."""
from ...extensions import db
from ...models import AdminUser
from . import throttle
from .sessions import end_all_sessions


def normalise_email(email):
    return (email or "").strip().lower()


def authenticate(email, password):
    """The admin with this address and password, or None. One password-hash check either
    way, so an unknown address answers as slowly as a wrong password."""
    user = AdminUser.query.filter_by(email=normalise_email(email)).one_or_none()
    return user if AdminUser.check_password_of(user, password) else None


def set_admin_password(user, password):
    """Set the password, end every session of the admin (the generation rotates and the
    rows go), and clear the account's sign-in and reset counters: its owner is back."""
    user.set_password(password)
    db.session.commit()
    end_all_sessions(user.id)
    throttle.clear_account(user.email)
