"""One line in a view to write a security event: the acting admin and the client's
address come from the request, so views only say what happened."""
from flask import request
from flask_login import current_user

from ..services.security.events import record_security_event


def client_ip():
    """The client's address (behind ``STATUSMAIL_TRUSTED_PROXIES``, as ProxyFix saw it)."""
    return request.remote_addr


def note(kind, actor=None, actor_email=None, **detail):
    if actor is None and actor_email is None and current_user.is_authenticated:
        actor = current_user._get_current_object()
    return record_security_event(kind, actor=actor, actor_email=actor_email,
                                 client_ip=client_ip(), **detail)


def tried_address(email):
    """The address a failed attempt typed, if it looks like one: people type passwords into
    the address field too, and those must not land in the log."""
    email = (email or "").strip()
    return email if "@" in email and " " not in email and len(email) <= 254 else None
