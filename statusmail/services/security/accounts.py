"""Checking and setting an admin's password."""
from sqlalchemy.exc import IntegrityError

from ...extensions import db
from ...models import AdminUser
from . import throttle
from ..validation import InvalidEmail
from ..validation import normalize_email as normalize_email_strictly
from .sessions import end_all_sessions


def normalise_email(email):
    return (email or "").strip().lower()


def authenticate(email, password):
    """The admin with this address and password, or None. One password-hash check either
    way, so an unknown address answers as slowly as a wrong password."""
    user = AdminUser.query.filter_by(email=normalise_email(email)).one_or_none()
    return user if AdminUser.check_password_of(user, password) else None


class EmailUnavailable(Exception):
    """The new address is not valid, or another admin has it; the message says which."""


def change_admin_email(user, email):
    """Give ``user`` a new sign-in address; returns the old one. Reset links mailed to the
    old address stop working (they are bound to the address)."""
    try:
        email = normalize_email_strictly(email)
    except InvalidEmail as exc:
        raise EmailUnavailable(str(exc)) from None
    old = user.email
    if email == old:
        return old
    if AdminUser.query.filter(AdminUser.email == email, AdminUser.id != user.id).count():
        raise EmailUnavailable("Another admin account uses that address.")
    user.email = email
    try:
        db.session.commit()
    except IntegrityError:  # taken between the check and the commit
        db.session.rollback()
        raise EmailUnavailable("Another admin account uses that address.") from None
    throttle.clear_account(old)
    return old


def set_admin_password(user, password):
    """Set the password, end every session of the admin (the generation rotates and the
    rows go), and clear the account's sign-in and reset counters: its owner is back."""
    user.set_password(password)
    db.session.commit()
    end_all_sessions(user.id)
    throttle.clear_account(user.email)
