"""The audit log: ``record(kind, summary, **detail)`` writes who did what, when, from where.

Who is request-scoped: the admin gate names the signed-in admin, the API's token check
names the token; anything else (CLI, scheduler, RQ jobs) acts as "system". Services call
``record`` themselves, so the admin site and the API write the same entry for the same
action. Each entry is also a line in the ``statusmail.audit`` logger, for log shippers.

``detail`` holds facts only — ids, names, counts, the NAMES of changed fields — never a
password, token, key or any other secret value: the log is read by more people than the
secrets are.
"""
import json
import logging
from dataclasses import dataclass

from flask import g, has_app_context

from ..extensions import db
from ..models import AuditEvent
from .text_validation import printable

log = logging.getLogger("statusmail.audit")
EMAIL_MAX = 254
TOKEN_NAME_MAX = 120
SUMMARY_MAX = 300

# Detail keys that must never be written (their values would be secrets).
FORBIDDEN_DETAIL = frozenset({"password", "token", "secret", "api_key", "key", "plaintext",
                              "smtp_password", "sendgrid_api_key", "private_key"})


@dataclass(frozen=True)
class Actor:
    """Who acts: an admin (id and address), an API token (its name), or nobody: the system."""
    user_id: int | None = None
    email: str | None = None
    token_name: str | None = None
    client_ip: str | None = None

    @classmethod
    def admin(cls, user, client_ip=None):
        return cls(user_id=user.id, email=user.email, client_ip=client_ip)

    @classmethod
    def api_token(cls, token, client_ip=None):
        return cls(token_name=token.name, client_ip=client_ip)

    @classmethod
    def address(cls, email, client_ip=None):
        """Someone who typed this address (a failed sign-in): not known to be that admin."""
        return cls(email=email, client_ip=client_ip)


SYSTEM = Actor()


def act_as(actor):
    """Name the actor for the rest of this request (or app context)."""
    g.audit_actor = actor


def current_actor():
    if not has_app_context():
        return SYSTEM
    return g.get("audit_actor", SYSTEM)


def record(kind, summary=None, /, *, as_actor=None, **detail):
    """Write one entry and commit it (with whatever the session holds: call it after the
    action, or just before the action's own commit). ``as_actor`` (an :class:`Actor`)
    overrides the request's."""
    leaked = FORBIDDEN_DETAIL.intersection(detail)
    if leaked:
        raise ValueError(f"audit detail must not carry {sorted(leaked)}")
    actor = as_actor or current_actor()
    detail = {key: printable(value) for key, value in detail.items()}
    email = printable(actor.email)
    token_name = printable(actor.token_name)
    summary = printable(summary)
    event = AuditEvent(
        kind=kind, actor_id=actor.user_id, actor_email=(email or None) and email[:EMAIL_MAX],
        actor_token=(token_name or None) and token_name[:TOKEN_NAME_MAX],
        client_ip=actor.client_ip, summary=(summary or None) and summary[:SUMMARY_MAX],
        detail=detail)
    db.session.add(event)
    db.session.commit()
    who = f"token:{token_name}" if token_name else (email or "system")
    log.info("%s actor=%s ip=%s %s%s", kind, who, actor.client_ip or "-",
             json.dumps(detail, sort_keys=True, default=str),
             f" {summary!r}" if summary else "")
    return event


def snapshot(row, names):
    """``row``'s values of ``names``, to compare with :func:`changed` after an edit."""
    return {name: getattr(row, name, None) for name in names}


def changed(before, row):
    """The names whose value on ``row`` differs from ``before`` (a :func:`snapshot`): what
    an entry says changed — names only, never the values."""
    return sorted(name for name, value in before.items()
                  if _normalised(getattr(row, name, None)) != _normalised(value))


def _normalised(value):
    return None if value == "" else value


def notice(notification):
    """Detail saying whether a notice went out, and which."""
    return {"notification_id": notification.id if notification is not None else None}
