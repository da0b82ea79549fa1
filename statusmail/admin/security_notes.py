"""One line in a view to write an audit entry about signing in and out: the acting admin
(or the address tried) and the client's address come from the request."""
from flask import request

from ..services import audit


def client_ip():
    """The client's address (behind ``STATUSMAIL_TRUSTED_PROXIES``, as ProxyFix saw it)."""
    return request.remote_addr


def note(kind, summary=None, actor=None, actor_email=None, **detail):
    """``actor``: the admin now known (a sign-in that just succeeded); ``actor_email``: the
    address a failed attempt typed; neither: whoever the admin gate named."""
    if actor is not None:
        who = audit.Actor.admin(actor, client_ip())
    elif actor_email is not None:
        who = audit.Actor.address(actor_email, client_ip())
    else:
        who = audit.current_actor()
        if who.client_ip is None:
            who = audit.Actor(who.user_id, who.email, who.token_name, client_ip())
    return audit.record(kind, summary, as_actor=who, **detail)


def tried_address(email):
    """The address a failed attempt typed, if it looks like one: people type passwords into
    the address field too, and those must not land in the log."""
    email = (email or "").strip()
    return email if "@" in email and " " not in email and len(email) <= 254 else None
